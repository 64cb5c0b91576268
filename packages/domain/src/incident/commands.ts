import type { PersonalPlan } from '../paging/notification-rules.ts';
import type { Acting } from '../people/actor.ts';
import type { Level, LevelName, Severity } from '../severity.ts';
import type { Suppression } from '../silence/windows.ts';
import type { Instant } from '../time/instant.ts';
import type { AckVia, Channel, IncidentOpening, ResolveVia, Timings } from './events.ts';

export interface PageTarget {
  contact: string;
  channel: Channel;
  /** A contact method other than the phone or email of klaxon.yaml, and its address. */
  method?: string;
  to?: string;
}

/**
 * Who is on call at each level at the moment of the command. The caller resolves schedules and policies
 * (pure functions of config and time); the decider only chooses which level to page. `plans`: the
 * notification rules of the people who have them, which replace the level's channels for them.
 */
export type Roster = Record<LevelName, PageTarget[]> & { plans?: Record<string, PersonalPlan> };

export interface AttachedAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt: Instant;
}

export type IncidentCommand =
  | ({
      type: 'OpenIncident';
      /** The alert that opens it, attached at once. */
      fingerprint: string;
      roster: Roster;
      /** Set when an immediate-escalation rule matched (security breach, data loss). */
      escalateTo?: Level;
      /** The window that holds for its labels at `at`: it opens, and pages nobody until the window ends. */
      suppression?: Suppression;
      at: Instant;
    } & IncidentOpening)
  | { type: 'AttachAlert'; fingerprint: string; status: 'firing' | 'resolved'; startsAt: Instant; at: Instant }
  /** Alerts of one group that came together (one notification), attached in one decision. */
  | { type: 'AttachAlerts'; alerts: AttachedAlert[]; at: Instant }
  | ({ type: 'Acknowledge'; by: string; via: AckVia; ref?: string; at: Instant } & Acting)
  | ({ type: 'Resolve'; by: string; via: ResolveVia; at: Instant } & Acting)
  | ({ type: 'Reopen'; by: string; roster: Roster; at: Instant } & Acting)
  | ({ type: 'Escalate'; by: string; roster: Roster; at: Instant } & Acting)
  /** Every step of people's notification rules due by `at`. */
  | { type: 'FirePageSteps'; at: Instant }
  | { type: 'FireEscalationTimer'; timerId: string; roster: Roster; suppression?: Suppression; at: Instant }
  | { type: 'FireStatusUpdateTimer'; dueAt: Instant; roster: Roster; suppression?: Suppression; at: Instant }
  /** The window that suppressed it ended (or was expired); `suppression` is another that holds now, if any. */
  | { type: 'EndSuppression'; roster: Roster; suppression?: Suppression; at: Instant }
  | ({ type: 'PostStatusUpdate'; by: string; text: string; at: Instant } & Acting)
  | ({ type: 'ChangeSeverity'; severity: Severity; timings: Timings; by: string; at: Instant } & Acting)
  | { type: 'RecordPageDelivered'; pageId: string; providerId: string; bundle?: number; provider?: string; at: Instant }
  /**
   * A provider's receipt for a page it took (`providerId` names the message or call). `otherProviders`: the
   * channel has another provider to try at once when this one could not deliver.
   */
  | {
      type: 'RecordPageReceipt';
      pageId: string;
      providerId: string;
      status: 'delivered' | 'undelivered' | 'failed';
      error?: string;
      otherProviders: boolean;
      at: Instant;
    }
  /** `retryAfterMs`: the provider said when to try again (a 429's Retry-After); otherwise the policy's backoff. */
  | {
      type: 'RecordPageFailed';
      pageId: string;
      error: string;
      retryable: boolean;
      retryAfterMs?: number;
      provider?: string;
      at: Instant;
    };

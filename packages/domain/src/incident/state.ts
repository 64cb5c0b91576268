import { AlertMap, type AlertSeen } from './alert-map.ts';
import type { Level } from '../severity.ts';
import type { Instant } from '../time/instant.ts';
import type { AckVia, Channel, EventData, IncidentOpening, PagePurpose, ResolveVia } from './events.ts';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

export interface PageState {
  pageId: string;
  level: Level;
  contact: string;
  channel: Channel;
  purpose: PagePurpose;
  /** A contact method other than the phone or email of klaxon.yaml, and its address. */
  method?: string;
  to?: string;
  requestedAt: Instant;
  outcome: 'pending' | 'delivered' | 'retrying' | 'failed';
  attempts: number;
  retryAt?: Instant;
  providerId?: string;
  /** Which of the channel's providers carried it. */
  provider?: string;
  /** When the provider's receipt said it reached the phone. */
  confirmedAt?: Instant;
  /** Providers whose receipt said they could not deliver it: the next attempt goes around them. */
  failedProviders?: string[];
  /** The bundle it went out in, when the contact's throttle gathered it with other pages. */
  bundle?: number;
  lastError?: string;
}

export type EscalationTimer = EventData<'EscalationScheduled'>;
export type PageStep = EventData<'PageStepScheduled'>;

/** An incident: the facts it opened with, and what happened since. */
export interface Incident extends IncidentOpening {
  openedAt: Instant;
  status: IncidentStatus;
  level: Level;
  /**
   * Each alert by fingerprint. A persistent map: one alert more costs about a map entry, not a copy of every
   * alert the incident has (a group of a thousand alerts gets each one's notification).
   */
  alerts: AlertMap;
  /** How many of `alerts` are firing; none left firing resolves the incident. */
  firingAlerts: number;
  acknowledged?: { by: string; via: AckVia; ref?: string; at: Instant };
  /** Refs of every acknowledgement ever recorded, so a single-use link stays used after a reopen. */
  usedRefs: string[];
  resolved?: { by: string; via: ResolveVia; at: Instant };
  /** Scheduled escalations not yet fired; whether one still applies is decided by `pendingTimers`. */
  escalationTimers: Record<string, EscalationTimer>;
  statusUpdateDueAt?: Instant;
  pages: Record<string, PageState>;
  /** Later steps of people's notification rules, not yet due (absent on incidents from before rules). */
  pageSteps?: Record<string, PageStep>;
  /** Counters for the deterministic ids the decider hands out (p1, p2…, t1, t2… and s1, s2…). */
  /**
   * The window that keeps it quiet (no page, no timer) until it ends; `escalateTo`, a rule's immediate
   * escalation that waits with it (the incident opened quiet).
   */
  suppressed?: { windowId: string; until: Instant; escalateTo?: Level };
  pageSeq: number;
  timerSeq: number;
  stepSeq?: number;
}

export type IncidentState = { exists: false } | ({ exists: true } & Incident);

/** An incident as JSON writes it (a snapshot): its persistent map as a plain object. */
export type IncidentJson = Omit<Incident, 'alerts'> & { alerts: Record<string, AlertSeen> };

/** An incident read back from its JSON, its map persistent again. */
export const incidentFromJson = (json: IncidentJson): Incident => ({ ...json, alerts: AlertMap.fromJSON(json.alerts) });

export const initialState = (): IncidentState => ({ exists: false });

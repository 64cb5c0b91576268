import { incidentEventSchema, INCIDENT_STREAM_PREFIX, type IncidentEvent } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import { readCheckpoint, type Tables } from './schema.ts';
import type { SqlTx } from './sql-database.ts';

/** How one incident event changes the read models. Events the KPIs do not need change nothing. */
async function applyEvent(tx: SqlTx, t: Tables, incidentId: string, event: IncidentEvent): Promise<void> {
  switch (event.type) {
    case 'IncidentOpened': {
      const d = event.data;
      await tx.run(
        `INSERT INTO ${t.incidents} (incident_id, number, severity, service, policy, title, group_key, status, alert_starts_at, opened_at, highest_level)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 1) ON CONFLICT (incident_id) DO NOTHING`,
        [incidentId, d.number, d.severity, d.service, d.policy, d.title, d.groupKey, d.alertStartsAt, d.openedAt],
      );
      return;
    }
    case 'Acknowledged':
      await tx.run(
        `UPDATE ${t.incidents} SET status = 'acknowledged', first_ack_at = COALESCE(first_ack_at, ?), acknowledged_by = COALESCE(acknowledged_by, ?) WHERE incident_id = ?`,
        [event.data.at, event.data.by, incidentId],
      );
      return;
    case 'Resolved':
      await tx.run(`UPDATE ${t.incidents} SET status = 'resolved', resolved_at = ?, resolved_by = ? WHERE incident_id = ?`, [event.data.at, event.data.by, incidentId]);
      return;
    case 'Reopened':
      await tx.run(`UPDATE ${t.incidents} SET status = 'open', resolved_at = NULL, resolved_by = NULL, reopened = reopened + 1 WHERE incident_id = ?`, [incidentId]);
      return;
    case 'Escalated':
      await tx.run(
        `UPDATE ${t.incidents} SET escalations = escalations + 1, highest_level = CASE WHEN highest_level < ? THEN ? ELSE highest_level END WHERE incident_id = ?`,
        [event.data.toLevel, event.data.toLevel, incidentId],
      );
      return;
    case 'SeverityChanged':
      await tx.run(`UPDATE ${t.incidents} SET severity = ? WHERE incident_id = ?`, [event.data.to, incidentId]);
      return;
    case 'PageRequested': {
      const d = event.data;
      await tx.run(
        `INSERT INTO ${t.pages} (incident_id, page_id, contact, channel, level, purpose, requested_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
         ON CONFLICT (incident_id, page_id) DO NOTHING`,
        [incidentId, d.pageId, d.contact, d.channel, d.level, d.purpose, d.at],
      );
      if (d.purpose === 'escalation') await tx.run(`UPDATE ${t.incidents} SET pages = pages + 1 WHERE incident_id = ?`, [incidentId]);
      return;
    }
    case 'PageDelivered':
      await tx.run(`UPDATE ${t.pages} SET outcome = 'delivered' WHERE incident_id = ? AND page_id = ?`, [incidentId, event.data.pageId]);
      return;
    case 'PageFailed':
      await tx.run(`UPDATE ${t.pages} SET outcome = ? WHERE incident_id = ? AND page_id = ?`, [event.data.retryAt ? 'retrying' : 'failed', incidentId, event.data.pageId]);
      return;
    default:
      return;
  }
}

/**
 * Applies a batch and moves the checkpoint in the caller's transaction. The checkpoint is read inside
 * it too, and events at or before it are skipped: whatever crashed or raced before, nothing counts twice.
 */
export async function applyBatch(tx: SqlTx, t: Tables, records: RecordedEvent[]): Promise<{ applied: number; position: bigint | undefined }> {
  const checkpoint = await readCheckpoint(tx, t);
  let applied = 0;
  let position = checkpoint;
  for (const record of records) {
    if (checkpoint !== undefined && record.position <= checkpoint) continue;
    if (record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) {
      const event = incidentEventSchema.parse({ type: record.type, data: record.data });
      await applyEvent(tx, t, record.streamId.slice(INCIDENT_STREAM_PREFIX.length), event);
      applied++;
    }
    position = record.position;
  }
  if (position !== undefined && position !== checkpoint) {
    await tx.run(`INSERT INTO ${t.checkpoint} (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position`, [position.toString()]);
  }
  return { applied, position };
}

/** Why the incident refused a command. Callers map these to answers (HTTP 404/409, an SMS reply, a log line). */
export type IncidentError =
  | { code: 'IncidentNotFound' }
  | { code: 'IncidentAlreadyExists'; incidentId: string }
  | { code: 'IncidentResolved'; incidentId: string }
  | { code: 'AlreadyAcknowledged'; incidentId: string; by: string }
  | { code: 'RefAlreadyUsed'; incidentId: string }
  | { code: 'NotResolved'; incidentId: string }
  | { code: 'AtHighestLevel'; incidentId: string }
  | { code: 'SeverityUnchanged'; incidentId: string }
  | { code: 'UnknownPage'; pageId: string }
  | { code: 'PageOutcomeRecorded'; pageId: string }
  /** A receipt for a message or call the page is not recorded as handed over in. */
  | { code: 'ReceiptUnmatched'; pageId: string };

export type IncidentErrorCode = IncidentError['code'];

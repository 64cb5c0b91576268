import type { IncidentError } from '@klaxon/domain';

/** The one place a refused command becomes an HTTP answer. */
export function httpStatusOf(error: IncidentError): number {
  return error.code === 'IncidentNotFound' || error.code === 'UnknownPage' ? 404 : 409;
}

export function describeError(error: IncidentError): string {
  switch (error.code) {
    case 'IncidentNotFound':
      return 'no such incident';
    case 'IncidentResolved':
      return 'the incident is already resolved';
    case 'AlreadyAcknowledged':
      return `the incident was already acknowledged by ${error.by}`;
    case 'RefAlreadyUsed':
      return 'this link was already used';
    case 'NotResolved':
      return 'the incident is not resolved';
    case 'AtHighestLevel':
      return 'the incident is already at L4, the highest level';
    case 'SeverityUnchanged':
      return 'the incident already has that severity';
    case 'IncidentAlreadyExists':
      return 'the incident already exists';
    case 'UnknownPage':
      return `no page ${error.pageId}`;
    case 'PageOutcomeRecorded':
      return `page ${error.pageId} already has an outcome`;
    case 'ReceiptUnmatched':
      return `page ${error.pageId} was not handed over in that message or call`;
  }
}

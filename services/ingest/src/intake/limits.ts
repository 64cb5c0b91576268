/**
 * Bytes of one alert as JSON (labels, annotations, fingerprint, link) beyond which it is refused with 413.
 * Kafka refuses a record over its `message.max.bytes` (1 MB by default) on every retry, so an alert must fit
 * well inside one record with room for its notification's envelope.
 */
export const MAX_ALERT_BYTES = 256 * 1024;

/**
 * Bytes of an Alertmanager group key beyond which a notification is refused with 413: the key goes into
 * every record of the notification, as its bus key and in its value, and cannot be split.
 */
export const MAX_GROUP_KEY_BYTES = 16 * 1024;

/**
 * Levels of nesting of an event's `custom_details` beyond which it is refused with 400. Flattening them into
 * labels walks every level, and no monitoring tool nests anything this deep on purpose.
 */
export const MAX_DETAILS_DEPTH = 32;

/** Bytes of alerts per bus record: a larger notification goes on the bus as several records. */
export const MAX_RECORD_ALERT_BYTES = 256 * 1024;

// Bounds on what one delivery may carry. Real deliveries are a few KiB (distribution batches a handful
// of events; Harbor and Quay list the tags of one push), so these only stop abuse.

/** The app refuses larger bodies before reading them (413); parsers re-check. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** Events, resources or tags in one delivery: each becomes a job, so a cap bounds the fan-out. */
export const MAX_EVENTS_PER_DELIVERY = 1000;

/** Ids, media types and other free strings we copy into events and logs. */
export const MAX_FIELD_LENGTH = 256;

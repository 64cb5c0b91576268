/**
 * A stream's category, as an SQL expression over `stream_id`: up to and including its first `-`, or the
 * whole id (as `categoriesOf` names them). Prefix reads go by the index on it and position, so a caught-up
 * follower of a prefix with a `-` reads its category's new events and nothing else; one without a `-`
 * spans a range of categories and walks their entries, as every prefix did before. The index on the stream
 * id and position it replaced served `position > $1` only within each stream: every read of `incident-`
 * walked every incident event ever appended while the table was too young for PostgreSQL to have the
 * statistics that steer it to the primary key.
 */
export const CATEGORY = `(CASE WHEN strpos(stream_id, '-') > 0 THEN left(stream_id, strpos(stream_id, '-')) ELSE stream_id END)`;

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The events after `after` (a position, as text) of the streams whose ids start with `streamPrefix`. */
export function prefixRead(
  table: string,
  { after, limit, streamPrefix }: { after: string; limit: number; streamPrefix: string },
): { text: string; values: Array<string | number> } {
  // A prefix with a `-` lies within one category; one without may span several ('heartbeat' takes
  // 'heartbeat-…' and 'heartbeats'), and each of their names starts with it.
  const dash = streamPrefix.indexOf('-');
  return dash >= 0
    ? {
        text: `SELECT * FROM ${table} WHERE ${CATEGORY} = $2 AND stream_id LIKE $3 AND position > $1 ORDER BY position LIMIT $4`,
        values: [after, streamPrefix.slice(0, dash + 1), likePrefix(streamPrefix), limit],
      }
    : {
        text: `SELECT * FROM ${table} WHERE ${CATEGORY} LIKE $2 AND stream_id LIKE $2 AND position > $1 ORDER BY position LIMIT $3`,
        values: [after, likePrefix(streamPrefix), limit],
      };
}

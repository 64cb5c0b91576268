/**
 * A stream's category, as an SQL expression over `stream_id`: up to and including its first `-`, or the
 * whole id (as `categoriesOf` names them). Prefix reads go by the index on it and position, so a follower
 * reads its categories' new events and nothing else. The index on the stream id and position it replaced
 * served `position > $1` only within each stream: every read of `incident-` walked every incident event
 * ever appended while the table was too young for PostgreSQL to have the statistics that steer it to the
 * primary key.
 */
export const CATEGORY = `(CASE WHEN strpos(stream_id, '-') > 0 THEN left(stream_id, strpos(stream_id, '-')) ELSE stream_id END)`;

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The events after `$1` of one category (`category`, an SQL value), in position order. The category is
 * bounded as a range of one value, not by `=`, and the order named as the index's: by `=` the planner
 * drops the category from the order, and then the primary key serves `position > $1 ORDER BY position`
 * as well. With statistics it takes that whenever it expects the category's events among the newest
 * (it cannot see that they are not), and walks every event of every category since `$1`: a follower of a
 * category seldom appended to (`person-`, `heartbeat-`) read a storm's worth of incident events each time.
 * `~<~` and `~>~` are the order of the index's text_pattern_ops, which the collation's `<` is not.
 */
const categoryRead = (table: string, category: string, like: string, limit: string) =>
  `SELECT * FROM ${table} WHERE ${CATEGORY} ~>=~ ${category} AND ${CATEGORY} ~<=~ ${category}
     AND stream_id LIKE ${like} AND position > $1 ORDER BY ${CATEGORY} USING ~<~, position LIMIT ${limit}`;

/** The events after `after` (a position, as text) of the streams whose ids start with `streamPrefix`. */
export function prefixRead(
  table: string,
  { after, limit, streamPrefix }: { after: string; limit: number; streamPrefix: string },
): { text: string; values: Array<string | number> } {
  const dash = streamPrefix.indexOf('-');
  // A prefix with a `-` lies within one category.
  if (dash >= 0)
    return {
      text: categoryRead(table, '$2', '$3', '$4'),
      values: [after, streamPrefix.slice(0, dash + 1), likePrefix(streamPrefix), limit],
    };
  // One without may span several ('heartbeat' takes 'heartbeat-…' and 'heartbeats'). Ordered by category
  // first, a range of categories in the index would be walked whole, every beat a monitor ever had.
  // Instead each of its categories is found by one descent of the index (a loose index scan: the
  // categories are few), read as above, and the reads merged by position. The range is bounded by values,
  // not left to `LIKE`: the planner makes index bounds of a `LIKE` pattern only when it plans with the
  // pattern in hand, and a plan made once for any value (a named prepared statement's) would walk on past
  // the prefix's last category to the end of the index. The range alone is exact (in this order, the texts
  // from the prefix up to just above it are those that start with it); a `LIKE` beside it would have the
  // planner count the same bounds twice, expect almost nothing in them, and read them all to sort.
  const above = justAbove(streamPrefix);
  return {
    text: `WITH RECURSIVE categories(category) AS (
        (SELECT ${CATEGORY} FROM ${table} WHERE ${CATEGORY} ~>=~ $2 AND ${CATEGORY} ~<~ $3
         ORDER BY ${CATEGORY} USING ~<~ LIMIT 1)
        UNION ALL
        SELECT (SELECT ${CATEGORY} FROM ${table}
                WHERE ${CATEGORY} ~>~ c.category AND ${CATEGORY} ~<~ $3
                ORDER BY ${CATEGORY} USING ~<~ LIMIT 1)
        FROM categories c WHERE c.category IS NOT NULL
      )
      SELECT e.* FROM categories c CROSS JOIN LATERAL (${categoryRead(table, 'c.category', '$4', '$5')}) e
      ORDER BY e.position LIMIT $5`,
    values: [after, streamPrefix, above, likePrefix(streamPrefix), limit],
  };
}

/**
 * The least text above every text that starts with `prefix`, in the byte order of text_pattern_ops: the
 * prefix with its last character's code point one higher (UTF-8 keeps code point order byte by byte).
 */
export function justAbove(prefix: string): string {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()! + 1;
    if (last > 0x10ffff) continue;
    // A lone surrogate is no text PostgreSQL takes: the next character is past them.
    points.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last);
    return String.fromCodePoint(...points);
  }
  throw new Error(`no text is above every one starting with ${JSON.stringify(prefix)}`);
}

/**
 * `read` (a statement's text) with the table's head beside it, in one statement and so in one snapshot:
 * each row is `head` and an event's columns, in position order; when `read` finds nothing, one row of the
 * head alone, its event columns null. (An empty table's head is null.)
 */
export const withHead = (table: string, read: string) =>
  `SELECT h.head, e.* FROM (SELECT MAX(position) AS head FROM ${table}) h LEFT JOIN (${read}) e ON true
   ORDER BY e.position`;

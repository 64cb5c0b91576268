/**
 * The latest revision of each stream of `streams` (a text array; `$1` by default), one row per stream, null for one with no
 * events: a group commit reads them under the append lock. One descent of the (stream_id, revision) index
 * per stream. `MAX(revision) … WHERE stream_id = ANY($1) GROUP BY stream_id` read every entry of each
 * stream and its heap rows: a storm's incident with thousands of alerts attached made each of its appends,
 * and every other append committed with it, slower by its length.
 */
export const latestRevisions = (table: string, streams = '$1::text[]') =>
  `SELECT s AS stream_id, (SELECT revision FROM ${table} WHERE stream_id = s ORDER BY revision DESC LIMIT 1) AS revision
   FROM unnest(${streams}) s`;

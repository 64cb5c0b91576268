export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface SqlTx {
  run(sql: string, params?: SqlValue[]): Promise<void>;
  all(sql: string, params?: SqlValue[]): Promise<Row[]>;
}

/**
 * The little of SQL the read models need, the same for SQLite and PostgreSQL: statements use `?`
 * placeholders and portable SQL; timestamps come back as ISO-8601 strings whatever the column type.
 */
export interface SqlDatabase extends SqlTx {
  readonly dialect: 'sqlite' | 'postgres';
  /** Everything `work` does commits together or not at all; `exclusive` blocks other writers for its length. */
  transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

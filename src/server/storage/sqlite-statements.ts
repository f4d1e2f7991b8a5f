/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs about as much as running
 * a small statement. The API issues the same few dozen statements over and over, so prepared
 * statements are kept by SQL text (bounded LRU). Safe because Kysely serializes the connection.
 */
import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export function withStatementCache(connection: SqliteConnection, capacity = 500): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    close() {
      cache.clear();
      connection.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) {
        // Re-insert to mark as recently used.
        cache.delete(sql);
      } else {
        statement = connection.prepare(sql);
        if (cache.size >= capacity) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, statement);
      return statement as unknown as SqliteStatement;
    },
  };
}

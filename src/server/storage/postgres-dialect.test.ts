import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStorage } from './database';
import { TEST_DATABASE_URL, TEST_DIALECTS } from '../testing/servers';

describe.runIf(TEST_DIALECTS.includes('postgres'))('PostgreSQL start-up beside other schemas', () => {
  it('migrates while other schemas are created and dropped all the time (Kysely introspection of every schema failed this)', async () => {
    const tag = randomBytes(4).toString('hex');
    let churning = true;
    let churned = 0;
    const churn = async (lane: number): Promise<void> => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        while (churning) {
          const schema = `churn_${tag}_${lane}_${churned++}`;
          await client.query(`create schema ${schema}; create table ${schema}.t (id serial primary key)`);
          await client.query(`drop schema ${schema} cascade`);
        }
      } finally {
        await client.end();
      }
    };
    const churners = [churn(1), churn(2)];
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const failures: string[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const schema = `mig_${tag}_${i}`;
        try {
          const storage = await openStorage({ databaseUrl: TEST_DATABASE_URL, pgSchema: schema });
          await storage.close();
        } catch (error) {
          failures.push(String(error));
        } finally {
          await admin.query(`drop schema if exists ${schema} cascade`);
        }
      }
    } finally {
      churning = false;
      await Promise.all(churners);
      await admin.end();
    }
    expect(churned).toBeGreaterThan(8);
    expect(failures).toEqual([]);
  }, 120_000);
});

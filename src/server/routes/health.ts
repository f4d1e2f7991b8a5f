import type { FastifyInstance } from 'fastify';
import type { Health } from '../../shared/api/resources';
import type { ServerContext } from '../context';

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/health', async (_request, reply) => {
    const failing: string[] = [];
    let database = 'ok';
    try {
      await ctx.storage.ping();
    } catch (error) {
      database = `error: ${error instanceof Error ? error.message : String(error)}`;
      failing.push('database');
    }
    const body: Health = {
      status: failing.length ? 'unhealthy' : 'healthy',
      timestamp: new Date(ctx.clock.now()).toISOString(),
      scheduling_service: failing.length ? 'unavailable' : 'available',
      database,
      version: ctx.version,
      ...(failing.length ? { failing } : {}),
    };
    return reply.status(failing.length ? 503 : 200).send(body);
  });
}

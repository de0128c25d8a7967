import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { DELIVER_BUDGET_CHARS } from '../../src/delivery/bodies.js';
import { sendBody, startService, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';

// Large messages sent together are delivered a budget's worth at a time: their bodies are read,
// rendered and sent only when their turn comes, so memory follows the budget and not the number
// of large messages waiting. Small messages keep their own pace.

const LARGE_CHARS = 1_000_000;
const LARGE = 10;

const textOf = (i: number) => `Invoice ${i}\n${'The quick brown fox jumps over the lazy dog; your order is on its way.\n'.repeat(LARGE_CHARS / 71)}`;

describe('delivery of many large messages at once', () => {
  it('has at most a budget of them in flight, and delivers every one intact', async () => {
    let started = 0;
    let mostInFlight = 0;
    // Every message is held at the sink until all were accepted: what the service sends at once
    // is then all it would send at once, whatever the timing.
    let acceptAll!: () => void;
    const allAccepted = new Promise<void>((r) => (acceptAll = r));
    const sink = await startSink({
      hold: () => allAccepted,
      // A message is in flight from its RCPT until the sink has kept it.
      onRcpt: () => {
        started++;
        mostInFlight = Math.max(mostInFlight, started - sink.messages.length);
        return null;
      },
    });
    const svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`, THREADLINE_OUTBOUND_CONNECTIONS: '20' });
    try {
      const sent = await Promise.all(
        Array.from({ length: LARGE }, async (_, i) => {
          const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: `Invoice ${i}`, textBody: textOf(i) }) });
          expect(res.status).toBe(202);
          return res.body as { id: string; conversationId: string };
        }),
      );
      // Released once every message is claimed (sending) and the budget's worth has reached the sink.
      const budgeted = Math.floor(DELIVER_BUDGET_CHARS / LARGE_CHARS);
      await waitFor(
        async () => {
          if (started < budgeted) return undefined;
          const statuses = await Promise.all(sent.map(async (m) => (await svc.api('GET', `/api/v2/conversations/emails/${m.conversationId}/messages/${m.id}`)).body.deliveryStatus.status));
          return statuses.every((s) => s === 'sending') ? true : undefined;
        },
        60_000,
        'every message claimed',
      );
      acceptAll();
      await waitFor(() => (sink.messages.length >= LARGE ? true : undefined), 60_000, `${LARGE} large messages delivered`);

      expect(mostInFlight).toBeGreaterThan(0);
      expect(mostInFlight).toBeLessThanOrEqual(budgeted);
      const texts = new Map<string, string>();
      for (const m of sink.messages) {
        const parsed = await simpleParser(m.raw);
        texts.set(parsed.subject ?? '', parsed.text ?? '');
      }
      for (let i = 0; i < LARGE; i++) expect(texts.get(`Invoice ${i}`)?.trim()).toBe(textOf(i).trim());
      expect(sent).toHaveLength(LARGE);
    } finally {
      await svc.stop();
      await sink.close();
    }
  });
});

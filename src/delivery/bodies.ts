import { byteBudget } from '../threads/byte-budget.js';

// A large message is held several times while it is sent: its bodies as read, their copy in the
// delivery thread, the encoded and canonicalized text DKIM hashes, and the bytes on the wire.
// Large messages claimed together would each hold all of that at once; past this budget they wait
// their turn, holding nothing but their row (their bodies are read when their turn comes). Small
// messages are claimed with their bodies and never wait.

/** Body characters of large messages being read, rendered and sent at once. */
export const DELIVER_BUDGET_CHARS = 6 * 1024 * 1024;
/** Messages up to this many body characters are read with their claim and never wait. */
export const UNBUDGETED_CHARS = 256 * 1024;

export interface Bodies {
  text_body: string | null;
  html_body: string | null;
}

/** A claimed message's row: its bodies, unless `body_chars` is past UNBUDGETED_CHARS. */
export interface ClaimedBodies extends Bodies {
  id: string;
  body_chars: number;
}

/**
 * Runs `send` with the message's bodies: at once for a small message; for a large one, once it
 * fits in the budget, with its bodies read then (`read`, outside the claim's transaction).
 */
export function bodiesWithinBudget(read: (id: string) => Promise<Bodies | undefined>) {
  const budget = byteBudget(DELIVER_BUDGET_CHARS);
  return <T>(m: ClaimedBodies, send: (bodies: Bodies) => Promise<T>): Promise<T> => {
    if (m.body_chars <= UNBUDGETED_CHARS) return send(m);
    return budget.run(m.body_chars, async () => {
      const bodies = await read(m.id);
      if (!bodies) throw new Error(`message ${m.id} is gone`);
      return send(bodies);
    });
  };
}

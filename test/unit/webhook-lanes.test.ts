import { describe, expect, it } from 'vitest';
import { laneOf } from '../../src/webhooks/lanes.js';

// Which events must stay in order with each other at a webhook: those of one lane.

describe('laneOf', () => {
  it('puts every event of a conversation in its lane, whatever else it names', () => {
    const lane = laneOf('message.queued', { conversationId: 'c1', messageId: 'm1' }, 'e1');
    expect(laneOf('workitem.created', { conversationId: 'c1', workItemId: 'w1', messageId: 'm2' }, 'e2')).toBe(lane);
    expect(laneOf('inbound.quarantined', { conversationId: 'c1', quarantineId: 'q1' }, 'e3')).toBe(lane);
    expect(laneOf('message.queued', { conversationId: 'c2', messageId: 'm1' }, 'e4')).not.toBe(lane);
  });

  it('without a conversation, keys by what the event concerns: a suppression by its address, not the message behind it', () => {
    const added = laneOf('suppression.added', { email: 'pat@example.com', messageId: 'm1', reason: 'bounce' }, 'e1');
    expect(laneOf('suppression.removed', { email: 'pat@example.com' }, 'e2')).toBe(added);
    expect(laneOf('domain.verification.changed', { domain: 'example.com', to: 'VERIFIED' }, 'e3')).toBe(laneOf('domain.verification.changed', { domain: 'example.com', to: 'FAILED' }, 'e4'));
    expect(laneOf('message.sent', { messageId: 'm1' }, 'e5')).toBe(laneOf('message.queued', { messageId: 'm1' }, 'e6'));
    expect(laneOf('webhook.failed', { webhookId: 'h1', eventId: 'x' }, 'e7')).toBe(laneOf('webhook.disabled', { webhookId: 'h1', eventId: 'y' }, 'e8'));
    // A domain and an address of the same text are different things.
    expect(laneOf('domain.verification.changed', { domain: 'x' }, 'e9')).not.toBe(laneOf('suppression.added', { email: 'x' }, 'e10'));
  });

  it('gives an event that names nothing a lane of its own', () => {
    expect(laneOf('message.queued', {}, 'e1')).not.toBe(laneOf('message.queued', {}, 'e2'));
    expect(laneOf('message.queued', { conversationId: '' }, 'e1')).toBe(laneOf('message.queued', {}, 'e1'));
  });
});

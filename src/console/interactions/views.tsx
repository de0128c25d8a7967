import type { MessageView } from '../../conversations/conversations.views.js';

/** A message as a row of a listing: what the search and a conversation's page show. */
export type ListedMessage = MessageView & { conversationId: string };

export const messagePath = (m: { conversationId: string; id: string }) => `/console/interactions/conversations/${encodeURIComponent(m.conversationId)}/messages/${encodeURIComponent(m.id)}`;
export const conversationPath = (id: string) => `/console/interactions/conversations/${encodeURIComponent(id)}`;

/** An ISO time as people read it, in UTC (the zone the search's times are given in). */
export const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** A page of messages, newest first; `showConversation`: a column linking each to its conversation. */
export function MessagesTable(props: { messages: ListedMessage[]; caption: string; showConversation?: boolean }) {
  if (props.messages.length === 0) return <p data-empty>No messages match.</p>;
  return (
    <table data-results>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Direction</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Subject</th>
          <th scope="col">Status</th>
          {props.showConversation && <th scope="col">Conversation</th>}
        </tr>
      </thead>
      <tbody>
        {props.messages.map((m) => (
          <tr data-message-id={m.id}>
            <td>{when(m.time)}</td>
            <td>{m.direction}</td>
            <td>{m.from.email}</td>
            <td>{m.to.map((t) => t.email).join(', ')}</td>
            <td>
              <a href={messagePath(m)}>{m.subject || '(no subject)'}</a>
            </td>
            <td>{m.deliveryStatus.status}</td>
            {props.showConversation && (
              <td>
                <a href={conversationPath(m.conversationId)} aria-label={`Conversation ${m.conversationId}`}>
                  <code>{m.conversationId.slice(0, 8)}…</code>
                </a>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Keyset paging: the first page, and the next (older) one when there is one. */
export function Pager(props: { base: string; query: URLSearchParams; next?: string; first: boolean }) {
  const link = (after?: string) => {
    const q = new URLSearchParams(props.query);
    q.delete('before');
    if (after) q.set('before', after);
    const s = q.toString();
    return s ? `${props.base}?${s}` : props.base;
  };
  if (props.first && !props.next) return null;
  return (
    <nav aria-label="Pages" class="actions">
      {!props.first && <a href={link()}>Newest</a>}
      {props.next && (
        <a href={link(props.next)} rel="next">
          Older messages
        </a>
      )}
    </nav>
  );
}

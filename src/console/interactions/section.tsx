/** The style sheet of the interactions pages (assets/interactions.ts). */
export const STYLES = ['interactions.css'];

/** The two parts of Interactions: the search and the charts. */
export function InteractionsNav(props: { current: 'search' | 'charts' | 'none' }) {
  const links = [
    { key: 'search', href: '/console/interactions', label: 'Search messages' },
    { key: 'charts', href: '/console/interactions/charts', label: 'Charts' },
  ];
  return (
    <nav aria-label="Interactions" class="subnav">
      <ul>
        {links.map((l) => (
          <li>
            <a href={l.href} aria-current={props.current === l.key ? 'page' : undefined}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

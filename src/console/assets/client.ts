// The console's one script of its own (no inline script: the Content-Security-Policy forbids
// it). It shows htmx errors in the page's live region, turns the server's live events into an
// htmx trigger, and backs the copy buttons.
export const CLIENT_SCRIPT = `(() => {
  'use strict';
  const flash = () => document.getElementById('flash');
  document.addEventListener('htmx:responseError', (e) => {
    const xhr = e.detail.xhr;
    const region = flash();
    if (!region) return;
    const doc = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
    const said = doc.querySelector('[data-error]');
    region.className = 'flash error';
    region.textContent = said ? said.textContent : 'The request failed (' + xhr.status + ').';
  });
  document.addEventListener('htmx:sendError', () => {
    const region = flash();
    if (region) { region.className = 'flash error'; region.textContent = 'The server could not be reached.'; }
  });
  document.addEventListener('click', (e) => {
    const button = e.target.closest && e.target.closest('[data-copy]');
    if (!button) return;
    const source = document.getElementById(button.getAttribute('data-copy'));
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim()).then(() => { button.textContent = 'Copied'; });
  });
  const live = document.body.getAttribute('data-live');
  if (live && window.EventSource) {
    const source = new EventSource(live);
    // Each change is a hint to refresh the parts that listen (hx-trigger="live from:body").
    source.addEventListener('change', () => window.htmx && window.htmx.trigger(document.body, 'live'));
    source.addEventListener('end', () => source.close());
    window.addEventListener('pagehide', () => source.close());
  }
})();
`;

// The console's whole style sheet: system fonts, one accent colour, a visible focus ring.
export const STYLES = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --panel: #f6f8fa; --accent: #0b5cad; --danger: #a40e26; --ok: #116329; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0a000; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .5rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; margin-right: 1rem; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: .75rem; color: var(--muted); }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
form.stack { display: grid; gap: .75rem; max-width: 24rem; }
label { font-weight: 600; display: block; }
input, select, textarea, button { font: inherit; }
input, select, textarea { width: 100%; padding: .4rem .5rem; border: 1px solid var(--muted); border-radius: 4px; background: var(--bg); color: var(--fg); }
textarea { min-height: 8rem; }
button, .button { display: inline-block; padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary { background: var(--bg); color: var(--accent); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .75rem 0; }
.actions form { display: flex; gap: .5rem; align-items: end; }
.flash { padding: .6rem .8rem; border-radius: 4px; border: 1px solid var(--line); background: var(--panel); margin-bottom: 1rem; }
.flash:empty { display: none; }
.error { border-color: var(--danger); color: var(--danger); }
.ok { border-color: var(--ok); color: var(--ok); }
.muted { color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.message header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; color: var(--muted); font-size: .9rem; }
.message .body { white-space: pre-wrap; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
td code, pre { white-space: pre-wrap; overflow-wrap: anywhere; }
`;

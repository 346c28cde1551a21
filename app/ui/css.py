"""The web app's stylesheet (a Python string so it ships with the package).

Colours come from Gradio's theme variables, so light and dark mode both work; each
article's accent colour is set inline as `--accent` (app/ui/html.py, PALETTE).
"""

CSS = r"""
.gradio-container { max-width: 1180px !important; margin: 0 auto !important; }
footer { opacity: .6; }
#pv-send, #pv-compare-btn, #pv-add-btn { background: #4f46e5 !important; color: #fff !important; border: 0 !important; }
#pv-send:hover, #pv-compare-btn:hover, #pv-add-btn:hover { background: #4338ca !important; }
#pv-compare-btn { align-self: center; max-height: 52px; }

/* header */
.pv-header { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; flex-wrap: wrap;
  padding: 18px 22px; border-radius: 16px; color: #fff;
  background: linear-gradient(120deg, #312e81 0%, #4f46e5 55%, #0891b2 100%); }
.pv-header h1 { margin: 0; font-size: 1.7rem; font-weight: 700; letter-spacing: -.02em; color: #fff; }
.pv-header p { margin: 4px 0 0; opacity: .9; font-size: .95rem; color: #fff; }
.pv-chips { display: flex; gap: 6px; flex-wrap: wrap; }
.pv-chips span { background: rgba(255,255,255,.16); border: 1px solid rgba(255,255,255,.25); border-radius: 999px;
  padding: 3px 10px; font-size: .8rem; white-space: nowrap; color: #fff; }

.pv-h h3 { margin: 10px 0 2px !important; font-size: 1.05rem !important; }
.pv-empty { color: var(--body-text-color-subdued); font-style: italic; padding: 14px; text-align: center;
  border: 1px dashed var(--border-color-primary); border-radius: 12px; }
.pv-foot { color: var(--body-text-color-subdued); font-size: .8rem; }
a.cite { text-decoration: none !important; font-weight: 600; color: var(--color-accent) !important;
  font-size: .85em; padding: 0 1px; border-radius: 4px; }
a.cite:hover { background: var(--color-accent-soft); }

/* viewpoint cards */
.pv-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.pv-card { background: var(--block-background-fill); border: 1px solid var(--border-color-primary);
  border-top: 4px solid var(--accent); border-radius: 14px; padding: 12px 14px;
  box-shadow: 0 1px 2px rgba(15,23,42,.05), 0 4px 14px rgba(15,23,42,.04); }
.pv-card header { display: flex; gap: 8px; align-items: flex-start; }
.pv-card h4 { margin: 0 0 6px; font-size: .95rem; line-height: 1.3; font-weight: 650; }
.pv-dot { display: inline-block; flex: none; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); margin-top: 5px; }
.pv-view { margin: 8px 0 4px; font-size: .92rem; line-height: 1.5; }
.pv-muted { color: var(--body-text-color-subdued); }
.pv-silent { opacity: .72; border-top-style: dashed; }
.pv-quotes blockquote { margin: 6px 0 0; padding: 6px 10px; font-style: italic; border-left: 3px solid var(--accent);
  background: var(--background-fill-secondary); border-radius: 0 8px 8px 0; font-size: .85rem; line-height: 1.45; }
.pv-typing { margin-left: 4px; letter-spacing: 2px; color: var(--accent); animation: pv-blink 1s infinite; font-size: .7em; }
@keyframes pv-blink { 50% { opacity: .25; } }

/* badges */
.pv-badge { display: inline-block; font-size: .72rem; font-weight: 600; padding: 2px 9px; border-radius: 999px;
  text-transform: lowercase; letter-spacing: .01em; }
.pv-yes { background: #dcfce7; color: #166534; }
.pv-no { background: #e2e8f0; color: #334155; }
.pv-maybe { background: #fef3c7; color: #92400e; }
.pv-byline { font-size: .8em; color: #64748b; margin: -2px 0 4px; }
.pv-warn { background: #fef3c7; color: #92400e; }
.pv-st-supports { background: #dcfce7; color: #166534; }
.pv-st-opposes { background: #fee2e2; color: #991b1b; }
.pv-st-mixed { background: #fef3c7; color: #92400e; }
.pv-st-not-addressed { background: #e2e8f0; color: #475569; }

/* sources */
.pv-sources { display: flex; flex-direction: column; gap: 8px; max-height: 520px; overflow-y: auto; padding-right: 4px; }
.pv-src { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--accent); border-radius: 10px;
  padding: 8px 12px; background: var(--block-background-fill); scroll-margin-top: 80px; }
.pv-src:target { box-shadow: 0 0 0 3px var(--color-accent-soft); }
.pv-src-head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; font-size: .88rem; }
.pv-num { display: inline-flex; align-items: center; justify-content: center; min-width: 22px; height: 22px;
  border-radius: 6px; background: var(--accent); color: #fff; font-weight: 700; font-size: .78rem; }
.pv-meta { color: var(--body-text-color-subdued); font-size: .78rem; margin-left: auto; }
.pv-src p { margin: 6px 0 2px; font-size: .88rem; line-height: 1.55; white-space: pre-line; }
.pv-src mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 3px; }

/* tables: corpus and compare matrix */
.pv-table { width: 100%; border-collapse: separate; border-spacing: 0; font-size: .9rem;
  border: 1px solid var(--border-color-primary); border-radius: 12px; overflow: hidden; }
.pv-table th { text-align: left; font-weight: 600; font-size: .78rem; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued); background: var(--background-fill-secondary); padding: 8px 10px; }
.pv-table td { padding: 8px 10px; vertical-align: top; }
.pv-table th, .pv-table td { border: 0 !important; border-top: 1px solid var(--border-color-primary) !important; }
.pv-table thead th { border-top: 0 !important; }
.pv-table tbody tr:hover { background: var(--background-fill-secondary); }
.pv-table td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pv-table .pv-title { font-weight: 600; }
.pv-skipped { margin-top: 8px; font-size: .85rem; color: #92400e; }
/* long titles wrap (never cut); a word longer than the column breaks rather than overflows */
.pv-title, .pv-card h4, .pv-src-head b, .pv-title-ref { overflow-wrap: anywhere; }
.pv-title-ref { font-weight: 600; }
.pv-count { margin: 0 0 6px; font-size: .85rem; color: var(--body-text-color-subdued); }
.pv-corpus-table td.pv-date { white-space: nowrap; }
#pv-corpus-tools { align-items: center; margin-bottom: 4px; }

/* chat: the line that says which question a follow-up was read with */
.pv-followup { display: inline-block; font-size: .85em; color: var(--body-text-color-subdued); }

/* compare */
.pv-claim { padding: 10px 14px; border-radius: 12px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); margin-bottom: 10px; }
.pv-claim small { color: var(--body-text-color-subdued); }
.pv-contrast b { font-weight: 600; }
.pv-contrast { padding: 10px 14px; border-radius: 12px; border: 1px solid var(--border-color-primary); margin: 10px 0; }
.pv-contrast ul { margin: 4px 0 0 18px; padding: 0; }
.pv-matrix td.pv-stance { white-space: nowrap; }
.pv-matrix td:nth-child(2) { width: 22%; }
.pv-matrix td:nth-child(4) { width: 30%; }
.pv-who { font-style: normal; font-weight: 600; font-size: .8rem; opacity: .8; }
.pv-matrix .pv-ev { font-size: .84rem; line-height: 1.45; margin: 0 0 6px; padding-left: 8px; font-style: italic;
  border-left: 3px solid var(--accent, var(--border-color-primary)); }
.pv-strength { display: flex; align-items: center; gap: 6px; font-size: .82rem; white-space: nowrap; }
.pv-bar { display: inline-block; width: 70px; height: 8px; border-radius: 4px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); overflow: hidden; }
.pv-bar span { display: block; height: 100%; }
.pv-conf { display: block; font-size: .72rem; color: var(--body-text-color-subdued); margin-top: 3px; }
.pv-disclaimer { font-size: .8rem; color: var(--body-text-color-subdued); margin-top: 6px; }
"""

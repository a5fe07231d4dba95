/** The dashboard's style sheet: system fonts, light and dark, a table that becomes cards below 700 px. */
export const STYLE = `
:root{color-scheme:light dark;--fg:#1d232b;--muted:#66707c;--line:#e1e5ea;--bg:#fff;--head:#f5f7f9;--accent:#0b63c5;--ok:#177a3c;--bad:#b42318;--warn:#9a5b00;--stale:#fbefee}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ed;--muted:#98a2ad;--line:#333b44;--bg:#15191e;--head:#1d232a;--accent:#6cb0ff;--ok:#5ccf83;--bad:#ff8a80;--warn:#f0b45b;--stale:#2a1d1d}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:10px 16px;background:var(--head);border-bottom:1px solid var(--line)}
h1{font-size:16px;margin:0}
#summary{color:var(--muted)}
#filter{flex:1 1 180px;min-width:0;padding:6px 8px;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px}
button{font:inherit;padding:4px 10px;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;cursor:pointer}
button:hover:not(:disabled){border-color:var(--accent)}
button:disabled{opacity:.5;cursor:default}
button.armed{color:#fff;background:var(--bad);border-color:var(--bad)}
#status{font-size:12px;color:var(--muted)}
#status.live::before{content:"● ";color:var(--ok)}
#status.bad::before{content:"● ";color:var(--bad)}
#problem{margin:0;padding:8px 16px;color:var(--bad);background:var(--stale)}
#problem:empty{display:none}
main{padding:8px 16px 24px}
section{margin:16px 0}
h2{font-size:14px;margin:0 0 6px;font-weight:600}
h2 span{color:var(--muted);font-weight:400}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th:nth-child(1){width:17%}th:nth-child(2){width:7%}th:nth-child(3){width:15%}th:nth-child(4){width:13%}th:nth-child(5){width:27%}th:nth-child(6){width:8%}th:nth-child(7){width:6%}th:nth-child(8){width:7.5em}
th{text-align:left;font-weight:600;font-size:12px;color:var(--muted);border-bottom:1px solid var(--line);padding:4px 8px}
td{padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
td.port{font-variant-numeric:tabular-nums;font-weight:600}
td.port,td.listen,td.age,td.act{white-space:nowrap}
.cmd{display:block;color:var(--muted);font:12px ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;border:1px solid var(--line)}
.yes{color:var(--ok)}.no,.muted{color:var(--muted)}
.dead{color:var(--bad);font-weight:600}.expired{color:var(--warn);font-weight:600}
tr.stale{background:var(--stale)}
tr.stale td.port{text-decoration:line-through}
tr.stale td:not(.act){opacity:.75}
a{color:var(--accent)}
#empty{color:var(--muted);padding:24px 0}
@media (max-width:700px){
thead{display:none}
table,tbody,tr,td{display:block;width:100%}
tr{border:1px solid var(--line);border-radius:8px;margin:0 0 8px;padding:4px 0}
td{border:0;padding:2px 10px;display:flex;gap:8px}
td::before{content:attr(data-label);flex:0 0 80px;color:var(--muted);font-size:12px}
td>div{min-width:0;flex:1}
}
`;

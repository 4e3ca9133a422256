//! The pages of `heapscope serve`: a navigation bar over the reports crate's HTML (report,
//! diff, trend), the object page drawn from its answer, and the shells of the pages whose rows
//! an inline script fetches (dominator tree, histogram, instances, query). Everything from the
//! dump is escaped here ([`escape`]) or set with `textContent` by the scripts; no page loads
//! anything from elsewhere.

use std::fmt::Write;

use heapscope_reports::drill::{Child, ObjectAnswer};
use heapscope_reports::fmt::{human_bytes, pct, thousands};
use heapscope_reports::model::NodeOut;
use heapscope_reports::render::html::{escape, page};
use heapscope_reports::render::{OutputFormat, RenderOptions};
use heapscope_reports::{build_report, ReportOptions};

use super::DumpInfo;
use crate::session::Session;

/// What the navigation bar shows: the dumps, the one shown, the page's tab.
pub struct Nav {
    pub dumps: Vec<DumpInfo>,
    pub current: usize,
    pub active: &'static str,
}

const NAV_CSS: &str = r#"
.hs-nav{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;border-bottom:1px solid #d9dde5;padding:0 0 8px;margin:0 0 14px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.hs-nav a{color:#0b5cad;text-decoration:none;padding:2px 6px;border-radius:4px}
.hs-nav a.on{background:#0b5cad;color:#fff}
.hs-nav .brand{font-weight:600;color:#1d2330}
.hs-nav .dump{color:#5b6475;font-size:12.5px;word-break:break-all}
.hs-nav form{margin-left:auto}
.hs-nav input{font:inherit;font-size:13px;padding:2px 6px;width:15em}
"#;

const APP_CSS: &str = r#"
.err{background:#fde7e4;color:#b42318;border-radius:6px;padding:8px 12px;margin:8px 0}
.controls{display:flex;gap:10px;align-items:center;margin:8px 0}
.controls input[type=search]{font:inherit;padding:3px 8px;width:22em}
table.hs th[data-sort]{cursor:pointer;user-select:none}
table.hs th[data-dir=desc]:after{content:" \25BE"}table.hs th[data-dir=asc]:after{content:" \25B4"}
a.obj{text-decoration:none;color:var(--fg)}a.obj .id{color:var(--accent);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
a.obj:hover .ty{text-decoration:underline}
.val{color:#6e40c9;word-break:break-all}
button.more{font:inherit;font-size:12.5px;margin:6px 0;padding:2px 10px;cursor:pointer}
ul.dt{list-style:none;margin:0;padding-left:18px}#tree{padding-left:0}
.dt-row,.dt-head{display:grid;grid-template-columns:22px 1fr 96px 62px 96px 80px;gap:6px;align-items:baseline;border-bottom:1px solid #eef0f4;padding:2px 0}
.dt-head{font-weight:600;background:var(--soft);border-bottom:1px solid var(--line)}
.dt-row .num,.dt-head .num{text-align:right;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;white-space:nowrap}
.dt-head .num{font-family:inherit;font-size:inherit}
button.tg{border:0;background:none;cursor:pointer;padding:0;width:20px;color:var(--muted);font-size:12px}
.dt-name{word-break:break-all}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}.kv dt{color:var(--muted)}.kv dd{margin:0}
.dt-head span[data-sort]{cursor:pointer;user-select:none}
.dt-head span[data-dir=desc]:after{content:" \25BE"}.dt-head span[data-dir=asc]:after{content:" \25B4"}
ul.examples{margin:4px 0 10px;padding-left:18px}ul.examples a{cursor:pointer}
h1 code{font-size:.85em}h1 .mono{font-size:.7em;color:var(--muted)}
td.via{color:var(--fg);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
textarea#sql{width:100%;min-height:7em;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;padding:6px}
"#;

/// What every script shares: element helpers, formatting as the reports print, fetching JSON.
const APP_JS: &str = r#"
var D=parseInt(document.body.getAttribute('data-dump')||'0',10);
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=text;return e;}
function bytes(b){var u=['B','KiB','MiB','GiB','TiB','PiB'];if(b<1024)return b+' B';var v=b,i=0;while(v>=1024&&i<u.length-1){v/=1024;i++;}return v.toFixed(1)+' '+u[i];}
function pct(s){var p=s*100;if(p===0)return '0%';if(p<0.01)return '<0.01%';return p.toFixed(p<1?2:1)+'%';}
var HEX=document.body.getAttribute('data-hex')==='1';
function idText(v){return (HEX&&typeof v==='number'&&Number.isSafeInteger(v)&&v>=0)?'0x'+v.toString(16):String(v);}
function thousands(n){return Number(n).toLocaleString('en-US');}
function getJSON(url,opts){return fetch(url,opts).then(function(r){return r.json().then(function(j){if(!r.ok)throw new Error(j.error||('HTTP '+r.status));return j;});});}
function fail(e){var b=document.getElementById('err');b.textContent=String(e&&e.message||e);b.hidden=false;}
function objLink(n){var a=el('a','obj');a.href='/object?d='+D+'&id='+encodeURIComponent(n.id);a.appendChild(el('span','ty',n.type));a.appendChild(document.createTextNode(' '));a.appendChild(el('span','id',n.id));return a;}
function td(text,cls){return el('td',cls,text);}
function moreButton(holder,left,next){holder.textContent='';if(left>0){var b=el('button','more',thousands(left)+' more');b.addEventListener('click',function(){holder.textContent='';next();});holder.appendChild(b);}}
"#;

fn nav_html(n: &Nav) -> String {
    let d = n.current;
    let mut o = format!(
        "<style>{NAV_CSS}</style>\n<nav class=\"hs-nav\"><span class=\"brand\">heapscope</span>"
    );
    let tab = |o: &mut String, key: &str, href: String, label: &str| {
        let on = if n.active == key { " class=\"on\"" } else { "" };
        let _ = write!(o, "<a href=\"{href}\"{on}>{label}</a>");
    };
    tab(&mut o, "report", format!("/report?d={d}"), "Report");
    tab(&mut o, "tree", format!("/tree?d={d}"), "Dominator tree");
    tab(
        &mut o,
        "histogram",
        format!("/histogram?d={d}"),
        "Histogram",
    );
    tab(&mut o, "query", format!("/query?d={d}"), "Query");
    match n.dumps.len() {
        2 => tab(&mut o, "over-time", "/diff".into(), "Diff"),
        k if k >= 3 => tab(&mut o, "over-time", "/trend".into(), "Trend"),
        _ => {}
    }
    if n.dumps.len() > 1 {
        for info in &n.dumps {
            let on = if info.index == d && n.active != "over-time" {
                " class=\"on\""
            } else {
                ""
            };
            let _ = write!(
                o,
                "<a href=\"/report?d={}\" title=\"{}\"{on}>#{}</a>",
                info.index,
                escape(&info.path),
                info.index
            );
        }
    }
    if let Some(info) = n.dumps.get(d).filter(|_| n.active != "over-time") {
        let _ = write!(o, "<span class=\"dump\">{}</span>", escape(&info.path));
    }
    let _ = writeln!(
        o,
        "<form action=\"/object\" method=\"get\"><input type=\"hidden\" name=\"d\" value=\"{d}\">\
<input name=\"id\" placeholder=\"object id, e.g. 0x1a2b\" aria-label=\"object id\"></form></nav>"
    );
    o
}

/// A reports-crate page (report, diff, trend) with the navigation bar above it.
pub fn with_nav(html: &str, nav: &Nav) -> String {
    let bar = nav_html(nav);
    match html.find("<body>") {
        Some(i) => {
            let at = i + "<body>".len();
            format!("{}\n{bar}{}", &html[..at], &html[at..])
        }
        None => format!("{bar}{html}"),
    }
}

/// Turn the type names of a diff or trend report (a plain `<td>` cell whose text is a type
/// name) into links to that type's instances: in the last dump that has the type, as
/// `dump_of(name)` tells (`None`: not a type of any dump, left as text).
pub fn link_types(html: &str, dump_of: impl Fn(&str) -> Option<usize>) -> String {
    rewrite_elements(html, "<td>", "</td>", |out, text| {
        let name = unescape(text);
        match (text.contains('<'), dump_of(&name)) {
            (false, Some(d)) => {
                let _ = write!(
                    out,
                    "<td><a href=\"/instances?d={d}&amp;type={}\">{text}</a></td>",
                    url_component(&name)
                );
                true
            }
            _ => false,
        }
    })
}

/// Each `open`…`close` element of `html` (no nesting: the first `close` after `open` ends it)
/// either rewritten by `f(out, inner text)`, which writes the whole replacement and returns
/// true, or kept as it was (`f` returns false and writes nothing).
fn rewrite_elements(
    html: &str,
    open: &str,
    close: &str,
    mut f: impl FnMut(&mut String, &str) -> bool,
) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len()..];
        let Some(end) = after.find(close) else {
            break;
        };
        out.push_str(&rest[..i]);
        if !f(&mut out, &after[..end]) {
            out.push_str(&rest[i..i + open.len() + end + close.len()]);
        }
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// The text of escaped HTML (what [`escape`] and the reports' renderer write).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The `analyze` report of dump `d` as HTML, each object id in it a link to its page.
pub fn report_html(s: &Session, d: usize) -> String {
    let r = build_report(
        &s.analysis,
        &s.info,
        s.inspector.as_ref(),
        &s.meta,
        &ReportOptions::default(),
    );
    let html = heapscope_reports::render::render(&r, OutputFormat::Html, &RenderOptions::default());
    link_ids(&html, d)
}

/// Turn the ids the reports' HTML prints (`<span class="meta mono">0x…</span>`, escaped text)
/// into links to the object pages of dump `d`. Only text that reads as an id (`0x` hex or
/// decimal, an `@` allowed) is linked.
fn link_ids(html: &str, d: usize) -> String {
    let linked = rewrite_elements(
        html,
        "<span class=\"meta mono\">",
        "</span>",
        |out, text| {
            if text.is_empty() || heapscope_reports::drill::parse_id(text).is_none() {
                return false;
            }
            let _ = write!(
                out,
                "<a class=\"meta mono\" href=\"/object?d={d}&amp;id={}\">{text}</a>",
                url_component(text)
            );
            true
        },
    );
    link_accumulation_points(&linked, d)
}

/// The id after each "Accumulation point: <code>Type</code> " of the report, as a link.
fn link_accumulation_points(html: &str, d: usize) -> String {
    const AT: &str = "Accumulation point: <code>";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(AT) {
        let after = &rest[i + AT.len()..];
        let Some(close) = after.find("</code> ") else {
            break;
        };
        let id_at = close + "</code> ".len();
        let id_len = after[id_at..]
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(after.len() - id_at);
        let id = &after[id_at..id_at + id_len];
        out.push_str(&rest[..i + AT.len() + id_at]);
        if !id.is_empty() && heapscope_reports::drill::parse_id(id).is_some() {
            let _ = write!(
                out,
                "<a class=\"mono\" href=\"/object?d={d}&amp;id={}\">{id}</a>",
                url_component(id)
            );
        } else {
            out.push_str(id);
        }
        rest = &after[id_at + id_len..];
    }
    out.push_str(rest);
    out
}

/// One of our pages: the navigation bar, `body`, and `script` after the shared helpers.
fn app_page(nav: &Nav, title: &str, body: &str, script: &str, data: &[(&str, &str)]) -> String {
    let hex = nav.dumps.get(nav.current).is_some_and(|i| i.hex_ids);
    let mut attrs = format!(
        " data-dump=\"{}\" data-hex=\"{}\"",
        nav.current,
        u8::from(hex)
    );
    for (k, v) in data {
        let _ = write!(attrs, " data-{k}=\"{}\"", escape(v));
    }
    let inner = format!(
        "<style>{APP_CSS}</style>\n{}<div id=\"err\" class=\"err\" hidden></div>\n{body}\n<script>{APP_JS}{script}</script>\n",
        nav_html(nav)
    );
    // The data attributes go on <body>, which `page` writes bare.
    page(title, &inner).replacen("<body>", &format!("<body{attrs}>"), 1)
}

/// An error as a page.
pub fn error_page(status: u16, msg: &str) -> String {
    page(
        &format!("heapscope: {status}"),
        &format!(
            "<h1>{status}</h1>\n<p class=\"err\">{}</p>\n<p><a href=\"/\">Back to the report</a></p>\n",
            escape(msg)
        ),
    )
}

const TREE_JS: &str = r#"
var SORT={key:'retained',order:'desc'};
function row(ch){
  var li=el('li'),r=el('div','dt-row'),n=ch.object;
  var tg=el('button','tg',ch.children>0?'\u25B8':'');tg.disabled=ch.children===0;tg.title=ch.children>0?'expand':'';
  r.appendChild(tg);
  var name=el('span','dt-name');name.appendChild(objLink(n));
  if(n.value!==undefined&&n.value!==null)name.appendChild(el('span','val',' "'+n.value+'"'));
  r.appendChild(name);
  r.appendChild(el('span','num',bytes(n.retained_bytes)));
  r.appendChild(el('span','num',pct(n.retained_share)));
  r.appendChild(el('span','num',bytes(n.shallow_bytes)));
  r.appendChild(el('span','num',ch.children>0?thousands(ch.children):''));
  li.appendChild(r);li.setAttribute('data-id',n.id);
  var sub=null;
  tg.addEventListener('click',function(){
    if(ch.children===0)return;
    if(sub){sub.hidden=!sub.hidden;tg.textContent=sub.hidden?'\u25B8':'\u25BE';return;}
    sub=el('ul','dt');li.appendChild(sub);tg.textContent='\u25BE';
    load(sub,n.id,0).catch(fail);
  });
  return li;
}
function load(ul,id,offset){
  ul.setAttribute('data-state','loading');
  var q='/api/children?d='+D+'&sort='+SORT.key+'&order='+SORT.order+'&offset='+offset+'&limit=50'+(id!==null?'&id='+encodeURIComponent(id):'');
  return getJSON(q).then(function(a){
    a.children.forEach(function(ch){ul.appendChild(row(ch));});
    if(a.left_out>0){
      var li=el('li','more-li'),b=el('button','more',thousands(a.left_out)+' more');
      b.addEventListener('click',function(){li.remove();load(ul,id,a.offset+a.children.length).catch(fail);});
      li.appendChild(b);ul.appendChild(li);
    }
    if(id===null)document.getElementById('count').textContent=thousands(a.total)+' objects at the top (dominated only by the GC roots)';
    ul.setAttribute('data-loaded',String(ul.querySelectorAll(':scope>li[data-id]').length));
    ul.setAttribute('data-state','done');
  });
}
var heads=document.querySelectorAll('.dt-head span[data-sort]');
function marks(){heads.forEach(function(h){h.removeAttribute('data-dir');if(h.getAttribute('data-sort')===SORT.key)h.setAttribute('data-dir',SORT.order);});}
heads.forEach(function(h){h.addEventListener('click',function(){
  var k=h.getAttribute('data-sort');
  if(k===SORT.key)SORT.order=SORT.order==='desc'?'asc':'desc';else{SORT.key=k;SORT.order='desc';}
  marks();var t=document.getElementById('tree');t.textContent='';load(t,null,0).catch(fail);});});
marks();
load(document.getElementById('tree'),null,0).catch(fail);
"#;

/// The dominator tree, expanded node by node, sorted by a column.
pub fn tree(nav: &Nav) -> String {
    let body = "<h1>Dominator tree</h1>\n<p class=\"meta\">Each object with what it alone keeps \
alive (its retained size, and that as a share of the reachable heap). Expand one to see the objects \
it dominates; click a column to sort every level by it.</p>\n<p id=\"count\" class=\"meta\"></p>\n\
<div class=\"dt-head\"><span></span><span>object</span><span class=\"num\" data-sort=\"retained\">retained</span>\
<span class=\"num\">% heap</span><span class=\"num\" data-sort=\"shallow\">shallow</span>\
<span class=\"num\" data-sort=\"children\" title=\"objects it dominates directly\">children</span></div>\n<ul class=\"dt\" id=\"tree\"></ul>";
    app_page(nav, "Dominator tree", body, TREE_JS, &[])
}

/// Sorting, filtering and paging a table whose rows the server sends (histogram, instances).
const LIST_JS: &str = r#"
function listPage(cfg){
  var st={sort:cfg.sort,order:'desc',filter:''},gen=0,tbody=document.querySelector('#'+cfg.table+' tbody');
  var more=document.getElementById('more'),count=document.getElementById('count');
  var ths=document.querySelectorAll('#'+cfg.table+' th[data-sort]');
  function marks(){ths.forEach(function(th){th.removeAttribute('data-dir');if(th.getAttribute('data-sort')===st.sort)th.setAttribute('data-dir',st.order);});}
  var tbl=document.getElementById(cfg.table);
  function fetchPage(offset){
    var my=++gen;tbl.setAttribute('data-state','loading');
    var q=cfg.url+'&sort='+st.sort+'&order='+st.order+'&filter='+encodeURIComponent(st.filter)+'&offset='+offset+'&limit=100';
    return getJSON(q).then(function(a){
      if(my!==gen)return;
      if(offset===0)tbody.textContent='';
      a[cfg.rows].forEach(function(r){tbody.appendChild(cfg.row(r));});
      count.textContent=cfg.count(a);
      moreButton(more,a.left_out,function(){fetchPage(a.offset+a[cfg.rows].length).catch(fail);});
      tbl.setAttribute('data-loaded',String(tbody.rows.length));tbl.setAttribute('data-state','done');
    });
  }
  ths.forEach(function(th){th.addEventListener('click',function(){
    var k=th.getAttribute('data-sort');
    if(k===st.sort)st.order=st.order==='desc'?'asc':'desc';else{st.sort=k;st.order=(k==='type'||k==='id')?'asc':'desc';}
    marks();fetchPage(0).catch(fail);});});
  var timer=null,f=document.getElementById('filter');
  f.addEventListener('input',function(){tbl.setAttribute('data-state','pending');clearTimeout(timer);timer=setTimeout(function(){st.filter=f.value;fetchPage(0).catch(fail);},200);});
  marks();fetchPage(0).catch(fail);
}
"#;

const HISTOGRAM_JS: &str = r#"
listPage({table:'hist',rows:'rows',sort:'retained',url:'/api/histogram?d='+D,
  count:function(a){return (a.matched===a.types?'':thousands(a.matched)+' of ')+thousands(a.types)+' types';},
  row:function(r){
    var tr=el('tr'),t=el('td','type'),a=el('a',null,r.type);
    a.href='/instances?d='+D+'&type='+encodeURIComponent(r.type);t.appendChild(a);tr.appendChild(t);
    tr.appendChild(td(thousands(r.count),'num'));tr.appendChild(td(bytes(r.shallow_bytes),'num'));
    tr.appendChild(td(bytes(r.retained_bytes),'num'));tr.appendChild(td(pct(r.retained_share),'num'));
    return tr;}});
"#;

/// The type histogram, sorted and filtered on the server.
pub fn histogram(nav: &Nav) -> String {
    let body = "<h1>Histogram</h1>\n<p class=\"meta\">Objects per type. Retained is MAT's minimum \
retained size of all the type's instances. Click a header to sort, a type for its instances.</p>\n\
<div class=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"filter types (substring)\" \
aria-label=\"filter types\"><span id=\"count\" class=\"meta\"></span></div>\n\
<table id=\"hist\" class=\"hs\"><thead><tr><th data-sort=\"type\">type</th>\
<th data-sort=\"count\" class=\"num\">count</th><th data-sort=\"shallow\" class=\"num\">shallow</th>\
<th data-sort=\"retained\" class=\"num\">retained</th><th class=\"num\">% heap</th></tr></thead>\
<tbody></tbody></table>\n<div id=\"more\"></div>";
    app_page(
        nav,
        "Histogram",
        body,
        &format!("{LIST_JS}{HISTOGRAM_JS}"),
        &[],
    )
}

const INSTANCES_JS: &str = r#"
var T=document.body.getAttribute('data-type');
listPage({table:'inst',rows:'instances',sort:'retained',url:'/api/instances?d='+D+'&type='+encodeURIComponent(T),
  count:function(a){
    if(a.scanned<a.count)return thousands(a.matched)+' match among the first '+thousands(a.scanned)+' of '+thousands(a.count)+' instances in this order (a filter reads at most '+thousands(a.scanned)+' values)';
    return (a.matched===a.count?'':thousands(a.matched)+' of ')+thousands(a.count)+' instances';},
  row:function(n){
    var tr=el('tr'),o=el('td');o.appendChild(objLink(n));tr.appendChild(o);
    tr.appendChild(td(n.value===undefined||n.value===null?'':'"'+n.value+'"','val'));
    tr.appendChild(td(bytes(n.retained_bytes),'num'));tr.appendChild(td(pct(n.retained_share),'num'));
    tr.appendChild(td(bytes(n.shallow_bytes),'num'));
    return tr;}});
"#;

/// A type's instances, sorted and filtered on the server.
pub fn instances(nav: &Nav, type_name: &str) -> String {
    let body = format!(
        "<h1>Instances of <code>{}</code></h1>\n\
<div class=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"filter by id or value\" \
aria-label=\"filter instances\"><span id=\"count\" class=\"meta\"></span></div>\n\
<table id=\"inst\" class=\"hs\"><thead><tr><th data-sort=\"id\">object</th><th>value</th>\
<th data-sort=\"retained\" class=\"num\">retained</th><th class=\"num\">% heap</th>\
<th data-sort=\"shallow\" class=\"num\">shallow</th></tr></thead><tbody></tbody></table>\n<div id=\"more\"></div>",
        escape(type_name)
    );
    app_page(
        nav,
        &format!("Instances of {type_name}"),
        &body,
        &format!("{LIST_JS}{INSTANCES_JS}"),
        &[("type", type_name)],
    )
}

const QUERY_JS: &str = r#"
var sql=document.getElementById('sql'),out=document.getElementById('result'),info=document.getElementById('qinfo'),qerr=document.getElementById('qerr');
var IDS={id:1,src:1,dst:1,idom:1};
function cell(c,v){
  if(v===null)return td('NULL','meta');
  if(typeof v==='object')return td(v.hex+(v.bytes*2>v.hex.length?'\u2026':'')+' ('+thousands(v.bytes)+' bytes)');
  // An object id (by the column's name, or 0x… text) links to its page.
  if(IDS[c.toLowerCase()]||(typeof v==='string'&&/^0x[0-9a-f]+$/i.test(v))){
    var t=el('td','mono'),a=el('a',null,idText(v));a.href='/object?d='+D+'&id='+encodeURIComponent(idText(v));t.appendChild(a);return t;}
  // Whole numbers with thousands separators (as every other page); reals as SQLite gave them.
  if(typeof v==='number')return td(Number.isInteger(v)?thousands(v):String(v),'num');
  return td(String(v),null);
}
function run(){
  document.getElementById('err').hidden=true;qerr.hidden=true;info.textContent='running\u2026';out.setAttribute('data-state','loading');
  history.replaceState(null,'','/query?d='+D+'&q='+encodeURIComponent(sql.value));
  getJSON('/api/query?d='+D+'&limit=200',{method:'POST',headers:{'content-type':'text/plain'},body:sql.value}).then(function(a){
    out.textContent='';
    var cols=a.columns||[],rows=a.rows||[];
    var t=el('table','hs'),h=el('thead'),hr=el('tr');
    cols.forEach(function(c){hr.appendChild(el('th',null,c));});
    h.appendChild(hr);t.appendChild(h);var b=el('tbody');
    rows.forEach(function(r){var tr=el('tr');r.forEach(function(v,i){tr.appendChild(cell(cols[i]||'',v));});b.appendChild(tr);});
    t.appendChild(b);t.id='qtable';out.appendChild(t);
    var left=a.total_rows-rows.length;
    info.textContent=thousands(rows.length)+' row'+(rows.length===1?'':'s')+(a.truncated?' of '+(a.total_exact?'':'at least ')+thousands(a.total_rows)+' ('+thousands(left)+' more not shown)':'');
    out.setAttribute('data-loaded',String(rows.length));out.setAttribute('data-state','done');
  }).catch(function(e){info.textContent='';out.textContent='';out.setAttribute('data-state','failed');qerr.textContent=String(e&&e.message||e);qerr.hidden=false;});
}
document.getElementById('run').addEventListener('click',run);
sql.addEventListener('keydown',function(e){if(e.key==='Enter'&&(e.ctrlKey||e.metaKey)){e.preventDefault();run();}});
document.querySelectorAll('ul.examples a').forEach(function(a){a.addEventListener('click',function(e){e.preventDefault();sql.value=a.getAttribute('data-sql');run();});});
// A shared link (/query?q=…) shows its answer.
if(document.body.getAttribute('data-run')==='1')run();
"#;

/// The SQL query box: `q` prefilled (and run at once when given, so a shared link shows its
/// answer), `examples` (title, SQL) one click away.
pub fn query(nav: &Nav, q: &str, examples: &[(&str, String)]) -> String {
    const DEFAULT: &str = "SELECT type, count, retained FROM types ORDER BY retained DESC LIMIT 20";
    let mut body = String::from(
        "<h1>Query</h1>\n<p class=\"meta\">SQL (SQLite's dialect) over the dump's tables: \
<code>objects</code>, <code>refs</code>, <code>types</code>, <code>roots</code>, \
<code>paths(from_id, to_id)</code>; functions <code>field(id, name)</code>, <code>value(id)</code>, \
<code>path(id)</code>, <code>holder(id)</code>, <code>retained_set(id)</code> (docs/query.md). \
Ctrl+Enter runs it; ids in the answer link to their objects.</p>\n<p class=\"meta\">Examples:</p><ul class=\"examples\">",
    );
    for (title, sql) in examples {
        let _ = write!(
            body,
            "<li><a href=\"/query?d={}&amp;q={}\" data-sql=\"{}\">{}</a> <code class=\"meta\">{}</code></li>",
            nav.current,
            escape(&url_component(sql)),
            escape(sql),
            escape(title),
            escape(sql)
        );
    }
    let _ = write!(
        body,
        "</ul>\n<textarea id=\"sql\" spellcheck=\"false\" aria-label=\"SQL\">{}</textarea>\n\
<div class=\"controls\"><button id=\"run\">Run</button><span id=\"qinfo\" class=\"meta\"></span></div>\n\
<div id=\"qerr\" class=\"err\" hidden></div>\n<div id=\"result\"></div>",
        escape(if q.is_empty() { DEFAULT } else { q })
    );
    let run = if q.is_empty() { "0" } else { "1" };
    app_page(nav, "Query", &body, QUERY_JS, &[("run", run)])
}

/// A link to an object's page: `type id`, with its value preview.
fn obj_link(o: &mut String, d: usize, n: &NodeOut) {
    let _ = write!(
        o,
        "<a class=\"obj\" href=\"/object?d={d}&amp;id={}\"><span class=\"ty\">{}</span> <span class=\"id\">{}</span></a>",
        escape(&url_component(&n.id)),
        escape(&n.type_name),
        escape(&n.id)
    );
    if let Some(v) = &n.value {
        let _ = write!(o, " <span class=\"val\">\"{}\"</span>", escape(v));
    }
}

/// Percent-encode a query-string value.
fn url_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn sizes(o: &mut String, n: &NodeOut) {
    let _ = write!(
        o,
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        human_bytes(n.retained_bytes),
        pct(n.retained_share),
        human_bytes(n.shallow_bytes)
    );
}

fn more_note(o: &mut String, left: usize, what: &str) {
    if left > 0 {
        let _ = writeln!(
            o,
            "<p class=\"note\">… {} more {what}</p>",
            thousands(left as u64)
        );
    }
}

/// A References or Referrers section of the object page: the heading with the total, the rows
/// (via, object, sizes) in a table with that `id`, and how many of the total are not shown.
fn ref_section<'a>(
    o: &mut String,
    d: usize,
    (heading, id, more): (&str, &str, &str),
    total: usize,
    rows: impl Iterator<Item = (Option<&'a str>, bool, &'a NodeOut)>,
) {
    let _ = write!(
        o,
        "<h2>{heading} ({})</h2>\n<table class=\"hs\" id=\"{id}\"><thead><tr><th>via</th><th>object</th><th class=\"num\">retained</th>\
<th class=\"num\">% heap</th><th class=\"num\">shallow</th></tr></thead><tbody>",
        thousands(total as u64)
    );
    let mut shown = 0;
    for (via, weak, n) in rows {
        let _ = write!(
            o,
            "<tr><td class=\"via\">{}{}</td><td>",
            escape(via.unwrap_or("·")),
            if weak {
                " <span class=\"weak\">(weak)</span>"
            } else {
                ""
            }
        );
        obj_link(o, d, n);
        o.push_str("</td>");
        sizes(o, n);
        o.push_str("</tr>");
        shown += 1;
    }
    o.push_str("</tbody></table>\n");
    more_note(o, total.saturating_sub(shown), more);
}

fn children_rows(o: &mut String, d: usize, kids: &[Child]) {
    o.push_str(
        "<table class=\"hs\" id=\"children\"><thead><tr><th>object</th><th class=\"num\">retained</th>\
<th class=\"num\">% heap</th><th class=\"num\">shallow</th><th class=\"num\">children</th></tr></thead><tbody>",
    );
    for ch in kids {
        o.push_str("<tr><td>");
        obj_link(o, d, &ch.object);
        o.push_str("</td>");
        sizes(o, &ch.object);
        let _ = write!(
            o,
            "<td class=\"num\">{}</td></tr>",
            thousands(ch.children as u64)
        );
    }
    o.push_str("</tbody></table>\n");
}

/// The object page, drawn from its answer.
pub fn object(nav: &Nav, a: &ObjectAnswer) -> String {
    let d = nav.current;
    let n = &a.object;
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1><a href=\"/instances?d={d}&amp;type={}\"><code>{}</code></a> <span class=\"mono\">{}</span></h1>\n<dl class=\"kv\">",
        escape(&url_component(&n.type_name)),
        escape(&n.type_name),
        escape(&n.id)
    );
    let _ = write!(
        o,
        "<dt>retained</dt><dd>{} ({} of the reachable heap)</dd><dt>shallow</dt><dd>{}</dd><dt>kind</dt><dd>{}</dd>",
        human_bytes(n.retained_bytes),
        pct(n.retained_share),
        human_bytes(n.shallow_bytes),
        a.kind
    );
    if let Some(v) = &n.value {
        let _ = write!(o, "<dt>value</dt><dd class=\"val\">\"{}\"</dd>", escape(v));
    }
    if !a.reachable {
        o.push_str(
            "<dt>reachable</dt><dd class=\"weak\">no: garbage the next collection frees</dd>",
        );
    }
    if !a.gc_roots.is_empty() {
        let _ = write!(
            o,
            "<dt>GC root</dt><dd>{}</dd>",
            escape(&a.gc_roots.join(", "))
        );
    }
    o.push_str("</dl>\n");

    match &a.fields {
        Some(fields) => {
            // An array longer than the page lists says how much of it is shown.
            let shown = if fields.len() < a.fields_total {
                format!(", the first {} shown", thousands(fields.len() as u64))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "<h2>Fields ({}{shown})</h2>",
                thousands(a.fields_total as u64)
            );
            // The type column only when the dump declares field types.
            let typed = fields.iter().any(|f| f.type_name.is_some());
            let _ = write!(
                o,
                "<table class=\"hs\" id=\"fields\"><thead><tr><th>name</th>{}<th>value</th></tr></thead><tbody>",
                if typed { "<th>type</th>" } else { "" }
            );
            for f in fields {
                let _ = write!(o, "<tr><td class=\"via\">{}</td>", escape(&f.name));
                if typed {
                    let _ = write!(
                        o,
                        "<td class=\"type\">{}</td>",
                        escape(f.type_name.as_deref().unwrap_or(""))
                    );
                }
                o.push_str("<td>");
                match (&f.object, &f.value) {
                    (Some(t), _) => obj_link(&mut o, d, t),
                    (None, Some(v)) => {
                        let _ = write!(o, "<span class=\"mono\">{}</span>", escape(v));
                    }
                    (None, None) => o.push_str("<span class=\"meta\">null</span>"),
                }
                o.push_str("</td></tr>");
            }
            o.push_str("</tbody></table>\n");
            more_note(&mut o, a.fields_total - fields.len(), "fields");
        }
        None => o.push_str(
            "<h2>Fields</h2>\n<p class=\"note\">The dump records no field values for this object; \
the references below are what it points to.</p>\n",
        ),
    }

    ref_section(
        &mut o,
        d,
        ("References", "references", "references"),
        a.references_total,
        a.references
            .iter()
            .map(|r| (r.via.as_deref(), r.weak, &r.object)),
    );
    ref_section(
        &mut o,
        d,
        (
            "Referrers",
            "referrers",
            "referrers (the largest are shown)",
        ),
        a.referrers_total,
        a.referrers
            .iter()
            .map(|r| (r.via.as_deref(), r.weak, &r.object)),
    );

    o.push_str(
        "<h2>Dominator chain</h2>\n<p class=\"meta\">What keeps it alive, nearest first.</p>\n",
    );
    if a.dominators.is_empty() {
        o.push_str("<p class=\"note\">None: a GC root itself, or unreachable.</p>\n");
    } else {
        o.push_str("<ol id=\"dominators\">");
        for dn in &a.dominators {
            o.push_str("<li>");
            obj_link(&mut o, d, dn);
            let _ = write!(
                o,
                " <span class=\"meta\">{} retained</span></li>",
                human_bytes(dn.retained_bytes)
            );
        }
        o.push_str("</ol>\n");
    }
    more_note(
        &mut o,
        a.dominators_total - a.dominators.len(),
        "dominators",
    );

    o.push_str("<h2>Paths from GC roots</h2>\n");
    if a.paths.is_empty() {
        o.push_str("<p class=\"note\">No path from a GC root: the object is unreachable.</p>\n");
    }
    for (i, p) in a.paths.iter().enumerate() {
        let _ = write!(
            o,
            "<details class=\"path\"{}><summary>{} ({} steps{})</summary><ol class=\"path\">",
            if i == 0 { " open" } else { "" },
            if i == 0 {
                "Shortest path".to_string()
            } else {
                format!("Path {}", i + 1)
            },
            p.len(),
            if p.iter().any(|s| s.weak) {
                ", through a weak reference"
            } else {
                ""
            }
        );
        for s in p {
            o.push_str("<li>");
            if let Some(k) = &s.root_kind {
                let _ = write!(o, "<span class=\"badge\">{}</span>", escape(k));
            }
            if let Some(v) = &s.via {
                let _ = write!(o, "<span class=\"via\">{}</span> → ", escape(v));
            }
            let _ = write!(
                o,
                "<a class=\"obj\" href=\"/object?d={d}&amp;id={}\"><span class=\"ty\">{}</span> <span class=\"id\">{}</span></a>",
                escape(&url_component(&s.id)),
                escape(&s.type_name),
                escape(&s.id)
            );
            if s.weak {
                o.push_str(" <span class=\"weak\">(weak)</span>");
            }
            if let Some(r) = s.retained_bytes {
                let _ = write!(
                    o,
                    " <span class=\"meta\">{} retained</span>",
                    human_bytes(r)
                );
            }
            o.push_str("</li>");
        }
        o.push_str("</ol></details>\n");
    }

    let _ = write!(
        o,
        "<h2>Dominator children ({})</h2>\n<p class=\"meta\">What it alone keeps alive, largest first.</p>\n",
        thousands(a.children.total as u64)
    );
    if !a.children.children.is_empty() {
        children_rows(&mut o, d, &a.children.children);
    }
    more_note(&mut o, a.children.left_out, "children");
    app_page(nav, &format!("{} {}", n.type_name, n.id), &o, "", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so each case is the same on every run.
    struct Rng(u64);
    impl Rng {
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            from[(self.0 % from.len() as u64) as usize]
        }
    }

    const TEXT: &[&str] = &[
        "",
        "\n",
        "<tr>",
        "</tr>",
        "<p>a &amp; b</p>",
        "<td class=\"num\">12</td>",
        "td>",
    ];

    /// Builds `(input, expected)` piece by piece: each generated element is written to the
    /// expected output linked or as it was, by the rule the rewrite documents, and an element
    /// left unclosed at the end stays as it was.
    fn generate(
        seed: u64,
        open: &str,
        close: &str,
        inner: &[&str],
        linked: impl Fn(&str) -> Option<String>,
    ) -> (String, String, usize) {
        let mut rng = Rng(seed);
        let (mut input, mut want, mut links) = (String::new(), String::new(), 0);
        for _ in 0..40 {
            let t = rng.pick(TEXT);
            input.push_str(t);
            want.push_str(t);
            let text = rng.pick(inner);
            let element = format!("{open}{text}{close}");
            input.push_str(&element);
            match linked(text) {
                Some(l) => {
                    want.push_str(&l);
                    links += 1;
                }
                None => want.push_str(&element),
            }
        }
        let tail = format!("{open}{}", rng.pick(inner));
        input.push_str(&tail);
        want.push_str(&tail);
        (input, want, links)
    }

    #[test]
    fn link_types_links_the_cells_naming_a_dumps_type() {
        let names = [
            "java.util.HashMap",
            "Foo&lt;Bar&gt;",
            "unknown.Type",
            "<b>java.util.HashMap</b>",
            "",
        ];
        let dump_of = |name: &str| match name {
            "java.util.HashMap" => Some(1),
            "Foo<Bar>" => Some(0),
            _ => None,
        };
        for seed in 1..=20 {
            let (input, want, links) = generate(seed, "<td>", "</td>", &names, |text| {
                if text.contains('<') {
                    return None;
                }
                let name = unescape(text);
                dump_of(&name).map(|d| {
                    format!(
                        "<td><a href=\"/instances?d={d}&amp;type={}\">{text}</a></td>",
                        url_component(&name)
                    )
                })
            });
            assert!(links > 0, "seed {seed}: the case links something");
            assert_eq!(link_types(&input, dump_of), want, "seed {seed}");
        }
    }

    #[test]
    fn link_ids_links_the_spans_that_read_as_ids() {
        let ids = [
            "0x1a2b",
            "123",
            "@0x10",
            "",
            "java.lang.String",
            "0xZZ",
            "0x7f&amp;",
        ];
        for seed in 1..=20 {
            let (input, want, links) = generate(
                seed,
                "<span class=\"meta mono\">",
                "</span>",
                &ids,
                |text| {
                    (!text.is_empty() && heapscope_reports::drill::parse_id(text).is_some()).then(
                        || {
                            format!(
                                "<a class=\"meta mono\" href=\"/object?d=3&amp;id={}\">{text}</a>",
                                url_component(text)
                            )
                        },
                    )
                },
            );
            assert!(links > 0, "seed {seed}: the case links something");
            assert_eq!(link_ids(&input, 3), want, "seed {seed}");
        }
    }
}

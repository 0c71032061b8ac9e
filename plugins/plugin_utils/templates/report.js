(function(){
  "use strict";
  var table=document.getElementById("findings");
  if(!table){return;}
  var body=table.tBodies[0];
  var sevSel=document.getElementById("filter-severity");
  var idSel=document.getElementById("filter-id");
  var text=document.getElementById("filter-text");
  var counter=document.getElementById("finding-count");
  function pairs(){
    var rows=[],all=body.rows;
    for(var i=0;i<all.length;i++){
      if(all[i].classList.contains("finding-row")){rows.push([all[i],all[i].nextElementSibling]);}
    }
    return rows;
  }
  function apply(){
    var min=parseInt(sevSel.value,10)||0, id=idSel.value, q=text.value.toLowerCase(), shown=0, list=pairs();
    for(var i=0;i<list.length;i++){
      var r=list[i][0];
      var ok=parseInt(r.getAttribute("data-rank"),10)>=min && (!id||r.getAttribute("data-id")===id) &&
             (!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok;
      if(!ok){list[i][1].hidden=true;}
      if(ok){shown++;}
    }
    counter.textContent=shown+" of "+list.length+" findings shown";
  }
  function sortBy(th){
    var key=th.getAttribute("data-key"), dir=th.classList.contains("sorted-asc")?-1:1;
    var heads=table.tHead.rows[0].cells;
    for(var i=0;i<heads.length;i++){heads[i].classList.remove("sorted-asc","sorted-desc");}
    th.classList.add(dir===1?"sorted-asc":"sorted-desc");
    var list=pairs();
    list.sort(function(a,b){
      var x=a[0].getAttribute("data-"+key), y=b[0].getAttribute("data-"+key);
      if(key==="rank"){x=parseInt(x,10);y=parseInt(y,10);}
      return (x<y?-1:x>y?1:0)*dir;
    });
    for(var j=0;j<list.length;j++){body.appendChild(list[j][0]);body.appendChild(list[j][1]);}
  }
  var heads=table.querySelectorAll("th.sortable");
  for(var i=0;i<heads.length;i++){heads[i].addEventListener("click",function(){sortBy(this);});}
  body.addEventListener("click",function(ev){
    var el=ev.target;
    while(el&&el!==body&&!(el.classList&&el.classList.contains("finding-row"))){el=el.parentNode;}
    if(!el||el===body||(ev.target.tagName==="A")){return;}
    var d=el.nextElementSibling; d.hidden=!d.hidden;
    el.setAttribute("aria-expanded", d.hidden?"false":"true");
  });
  // Filters live in the URL fragment (#min=4&id=X&q=text&sort=host), so a filtered view can be shared.
  function fromHash(){
    var parts=(location.hash||"").replace(/^#/,"").split("&"), want={};
    for(var i=0;i<parts.length;i++){
      var kv=parts[i].split("=");
      if(kv.length===2){try{want[kv[0]]=decodeURIComponent(kv[1]);}catch(e){}}
    }
    if(want.min&&sevSel.querySelector('option[value="'+want.min.replace(/[^0-9]/g,"")+'"]')){sevSel.value=want.min;}
    if(want.id!==undefined){
      for(var j=0;j<idSel.options.length;j++){if(idSel.options[j].value===want.id){idSel.value=want.id;}}
    }
    if(want.q!==undefined){text.value=want.q;}
    if(want.sort){
      var th=table.querySelector('th.sortable[data-key="'+want.sort.replace(/[^a-z]/g,"")+'"]');
      if(th){sortBy(th);if(want.dir==="desc"){sortBy(th);}}
    }
  }
  function toHash(){
    var h=[];
    if(sevSel.value!=="0"){h.push("min="+sevSel.value);}
    if(idSel.value){h.push("id="+encodeURIComponent(idSel.value));}
    if(text.value){h.push("q="+encodeURIComponent(text.value));}
    if(history.replaceState){history.replaceState(null,"",h.length?"#"+h.join("&"):location.pathname+location.search);}
  }
  function changed(){apply();toHash();}
  sevSel.addEventListener("change",changed);idSel.addEventListener("change",changed);text.addEventListener("input",changed);
  // A link to a host (#host-...) opens its collapsed section.
  function openHost(){
    var id=(location.hash||"").replace(/^#/,"");
    if(id.indexOf("host-")!==0){return;}
    var el=document.getElementById(id);
    if(el&&el.tagName==="DETAILS"){el.open=true;el.scrollIntoView();}
  }
  window.addEventListener("hashchange",openHost);
  function setAll(open){
    var all=document.querySelectorAll("details.host");
    for(var i=0;i<all.length;i++){all[i].open=open;}
  }
  var ex=document.getElementById("expand-all"), co=document.getElementById("collapse-all");
  if(ex){ex.addEventListener("click",function(){setAll(true);});}
  if(co){co.addEventListener("click",function(){setAll(false);});}
  // Copy buttons: the clipboard API where the browser allows it, else the command is selected.
  document.addEventListener("click",function(ev){
    var b=ev.target;
    if(!b||!b.classList||!b.classList.contains("copy")){return;}
    ev.stopPropagation();
    var code=b.parentNode.querySelector("code"), cmd=code.textContent;
    function selectIt(){var r=document.createRange();r.selectNodeContents(code);var s=window.getSelection();s.removeAllRanges();s.addRange(r);}
    if(navigator.clipboard&&navigator.clipboard.writeText){
      navigator.clipboard.writeText(cmd).then(function(){b.textContent="copied";},selectIt);
    }else{selectIt();}
  },true);
  fromHash();
  openHost();
  apply();
  document.documentElement.setAttribute("data-js","ready");
})();

"use strict";
// Starts a debate and follows it over /ws (replay from seq 1, then live).
document.getElementById("ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await fetch("/api/v1/debates", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({task: document.getElementById("question").value}),
  });
  const body = await res.json();
  const list = document.getElementById("events");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?debate_id=${body.debate_id}`);
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    const li = document.createElement("li");
    li.textContent = `${e.type} ${e.data && e.data.agent ? e.data.agent : ""}`;
    list.appendChild(li);
  };
});

// The Charter console's only script: buttons -> wallet (EIP-1193) or development key -> the chain,
// and a quiet refresh while the page is open. The server prepares and confirms; nothing here says
// "done" before the server read the effect back from the chain.
"use strict";

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const TOKEN = meta("charter-token");
const DEV = meta("charter-mode") === "dev";
const PRINCIPAL = meta("charter-principal");
const REFUSED = 4001; // EIP-1193: the user rejected the request

function notice(text, kind) {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.className = kind || "";
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Charter-Token": TOKEN },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.message || response.statusText);
    error.server = data;
    throw error;
  }
  return data;
}

function wallet() {
  if (!window.ethereum) {
    throw new Error("no wallet in this browser (window.ethereum): install one, or start the console with a development key");
  }
  return window.ethereum;
}

async function walletAccount() {
  const accounts = await wallet().request({ method: "eth_requestAccounts" });
  if (!accounts || !accounts.length) throw new Error("the wallet gave no account");
  const chosen = accounts[0];
  if (chosen.toLowerCase() !== PRINCIPAL.toLowerCase()) {
    throw new Error(`the wallet's account is ${chosen}, not the principal ${PRINCIPAL}: switch accounts in the wallet`);
  }
  return chosen;
}

async function onChain(chainId) {
  const hex = "0x" + Number(chainId).toString(16);
  const current = await wallet().request({ method: "eth_chainId" });
  if (parseInt(current, 16) !== Number(chainId)) {
    await wallet().request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  }
}

function refusedByWallet(error) {
  return error && (error.code === REFUSED || (error.data && error.data.code === REFUSED));
}

function actionOf(button, chainId) {
  const body = { action: button.dataset.action, chain_id: Number(chainId) };
  if (button.dataset.account) body.account = button.dataset.account;
  if (button.dataset.grant) body.grant_hash = button.dataset.grant;
  if (button.dataset.agent) body.agent_id = Number(button.dataset.agent);
  return body;
}

async function runOn(button, chainId) {
  const body = actionOf(button, chainId);
  if (DEV) return post("/api/dev", body);
  const from = await walletAccount();
  const prepared = await post("/api/prepare", { ...body, from });
  notice(`asking your wallet to sign: ${prepared.label}…`, "pending");
  await onChain(chainId);
  let txHash;
  try {
    txHash = await wallet().request({ method: "eth_sendTransaction", params: [prepared.tx] });
  } catch (error) {
    if (refusedByWallet(error)) {
      const refused = new Error(`your wallet refused to sign: nothing was sent and nothing changed (${prepared.label})`);
      refused.refused = true;
      throw refused;
    }
    throw error;
  }
  notice(`sent ${txHash}; waiting for the chain to show it…`, "pending");
  return post("/api/confirm", { ...body, tx_hash: txHash });
}

async function onAction(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const chains = button.dataset.everywhere ? button.dataset.everywhere.split(",") : [button.dataset.chain];
  button.disabled = true;
  const done = [];
  try {
    for (const chainId of chains) {
      const outcome = await runOn(button, chainId);
      if (!outcome.done) throw new Error(outcome.message);
      done.push(outcome.message);
    }
    notice(done.join(" · "), "ok");
    setTimeout(() => window.location.reload(), 800);
  } catch (error) {
    const prefix = done.length ? done.join(" · ") + " · then: " : "";
    notice(prefix + (error.refused ? error.message : `not done: ${error.message}`), error.refused ? "refused" : "error");
    button.disabled = false;
  }
}

async function onApprove(sign) {
  const box = document.querySelector("[data-request]");
  const request = box.dataset.request;
  try {
    if (!sign) {
      const answer = await post("/api/approve/refuse", { request });
      notice(answer.message, "ok");
    } else {
      const typed = JSON.parse(document.getElementById("typed-data").textContent);
      let signature;
      if (DEV) throw new Error("development mode signs actions, not grants: approve with a wallet or `charter grant approve URL`");
      const from = await walletAccount();
      await onChain(box.dataset.chain);
      try {
        signature = await wallet().request({ method: "eth_signTypedData_v4", params: [from, JSON.stringify(typed)] });
      } catch (error) {
        if (refusedByWallet(error)) {
          notice("your wallet refused to sign: the request stays pending and nothing changed", "refused");
          return;
        }
        throw error;
      }
      const answer = await post("/api/approve/sign", { request, signature });
      notice(answer.message, answer.done ? "ok" : "error");
    }
    document.querySelectorAll("#approve-sign, #approve-refuse").forEach((b) => { b.disabled = true; });
    document.getElementById("request-status").textContent = sign ? "approved" : "refused";
  } catch (error) {
    notice(`not done: ${error.message}`, "error");
  }
}

async function watch() {
  const badge = document.getElementById("freshness");
  try {
    const response = await fetch("/api/version", { cache: "no-store" });
    const state = await response.json();
    if (String(state.version) !== badge.dataset.version && !document.querySelector("button:disabled[data-action]")) {
      window.location.reload();
      return;
    }
  } catch (error) {
    badge.textContent = "console unreachable";
  }
  setTimeout(watch, 2000);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.action) onAction(button);
  else if (button.id === "approve-sign") onApprove(true);
  else if (button.id === "approve-refuse") onApprove(false);
});

if (document.getElementById("grants")) setTimeout(watch, 2000);

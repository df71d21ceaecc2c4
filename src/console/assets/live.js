// Live figures on the overview: one EventSource on /events; each message is JSON whose keys
// name elements (data-live="key") and whose values are their new text. Text only (never
// markup), so nothing the server sends can become script. Without JavaScript the overview
// simply shows the figures of the moment it was read.
(() => {
  let source;
  const connect = () => {
    if (source !== undefined || document.querySelector("[data-live]") === null) return;
    source = new EventSource("/events");
    source.onmessage = (event) => {
      const figures = JSON.parse(event.data);
      for (const element of document.querySelectorAll("[data-live]")) {
        const value = figures[element.dataset.live];
        if (value === undefined) continue;
        if (value.text !== undefined) element.textContent = value.text;
        if (value.state !== undefined) element.dataset.state = value.state;
      }
    };
  };
  const disconnect = () => {
    if (document.querySelector("[data-live]") !== null || source === undefined) return;
    source.close();
    source = undefined;
  };
  document.addEventListener("DOMContentLoaded", connect);
  // htmx swaps pages in place: follow the overview in and out.
  document.addEventListener("htmx:afterSettle", () => {
    disconnect();
    connect();
  });
})();

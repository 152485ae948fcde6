// Fiche logement: close the edit side panel once every change is saved (the server says so with the
// `zlv:housing-saved` htmx event; the header, tabs and history have been swapped out-of-band).
const PANEL_ID = "modale-edition-logement";

document.body.addEventListener("zlv:housing-saved", () => {
  const panel = document.getElementById(PANEL_ID);
  if (panel && window.dsfr) {
    window.dsfr(panel).modal.conceal();
  }
  const message = document.getElementById("zlv-record-messages");
  if (message) {
    message.setAttribute("tabindex", "-1");
    message.focus({ preventScroll: false });
  }
});

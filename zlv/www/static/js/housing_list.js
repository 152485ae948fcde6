// Parc de logements. Hooked on data-zlv-* attributes; htmx swaps the results, so listeners are
// delegated to the document and the state is re-applied after each swap.
// - A ticked filter applies at once (the form is sent through htmx; without JS, its button sends it).
// - "Année de début de vacance" follows the occupation "Vacant"; sub-statuses follow the statuses.
// - The row selection, {all, ids}, lives in sessionStorage under the filters it was made with, so it
//   survives paging and sorting; data-zlv-selection-query on the results holds it for bulk actions
//   (housingIds=…, plus all=true when "Sélectionner les N logements" was used: ids are then exclusions).
// - The commune picker is a combobox (WAI-ARIA "list autocomplete"): suggestions come from the server
//   as the user types; a chosen commune becomes a hidden `localities` input shown as a removable tag.
// - "Éditer" on a row loads the Fiche logement's edit panel into the modal; once saved, the row is
//   fetched again (zlv:refresh-row), so are the tabs' counts and the sentence (zlv:refresh-counts,
//   answered out of band), and the modal closes.
// - Without JavaScript, the commune picker's text box is sent with the form (`commune`): the server
//   adds the commune it names. With JavaScript, it only feeds the suggestions.

const STORAGE_PREFIX = "zlv-selection:";
const SUGGESTION_DELAY_MS = 200;
const EDIT_MODAL_ID = "modale-edition-logement";
const EDIT_PANEL_ID = "zlv-edit-panel";

const numberFormat = new Intl.NumberFormat("fr-FR");

function filtersForm() {
  return document.querySelector("[data-zlv-filters]");
}

function syncDependentFilters(form) {
  const vacant = form.querySelector('input[name="occupancies"][value="V"]');
  const years = form.querySelector('[data-zlv-filter="vacancyYears"]');
  if (vacant && years) {
    years.disabled = !vacant.checked;
    if (!vacant.checked) {
      years.querySelectorAll("input[type=checkbox]").forEach((box) => (box.checked = false));
    }
  }
  const statuses = [...form.querySelectorAll('input[name="statusList"]:checked')].map((box) => box.value);
  form.querySelectorAll('[data-zlv-filter="subStatus"] [data-zlv-status]').forEach((option) => {
    const offered = statuses.length === 0 || statuses.includes(option.dataset.zlvStatus);
    const box = option.querySelector("input");
    option.hidden = !offered;
    box.disabled = !offered;
    if (!offered) box.checked = false;
  });
}

function countSections(form) {
  form.querySelectorAll(".fr-accordion").forEach((section) => {
    const badge = section.querySelector("[data-zlv-section-count]");
    if (!badge) return;
    const count = section.querySelectorAll(
      "input[type=checkbox]:checked:not(:disabled), input[data-zlv-picked]",
    ).length;
    badge.querySelector("[data-zlv-section-count-value]").textContent = String(count);
    badge.hidden = count === 0;
  });
}

function applyFilters(form) {
  syncDependentFilters(form);
  countSections(form);
  form.requestSubmit();
}

// Commune picker -------------------------------------------------------------------------------

function pickerParts(picker) {
  return {
    input: picker.querySelector("[data-zlv-picker-input]"),
    listbox: picker.querySelector("[data-zlv-picker-listbox]"),
    status: picker.querySelector("[data-zlv-picker-status]"),
    tags: picker.querySelector("[data-zlv-picker-tags]"),
  };
}

function pickedCodes(picker) {
  return new Set([...picker.querySelectorAll("input[data-zlv-picked]")].map((input) => input.value));
}

function closeSuggestions(picker) {
  const { input, listbox } = pickerParts(picker);
  listbox.hidden = true;
  listbox.replaceChildren();
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

function showSuggestions(picker, communes) {
  const { input, listbox, status } = pickerParts(picker);
  const picked = pickedCodes(picker);
  const offered = communes.filter((commune) => !picked.has(commune.code));
  listbox.replaceChildren(
    ...offered.map((commune) => {
      const option = document.createElement("li");
      option.id = `${listbox.id}-${commune.code}`;
      option.className = "zlv-picker__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.zlvCode = commune.code;
      option.dataset.zlvName = commune.name;
      option.textContent = `${commune.name} (${commune.code})`;
      return option;
    }),
  );
  listbox.hidden = offered.length === 0;
  input.setAttribute("aria-expanded", String(offered.length > 0));
  input.removeAttribute("aria-activedescendant");
  const plural = offered.length > 1 ? "s" : "";
  status.textContent = offered.length
    ? `${offered.length} commune${plural} proposée${plural}`
    : "Aucune commune de votre périmètre ne correspond.";
}

async function suggest(picker) {
  const { input } = pickerParts(picker);
  const text = input.value.trim();
  if (picker.zlvController) picker.zlvController.abort();
  if (!text) {
    closeSuggestions(picker);
    return;
  }
  const controller = new AbortController();
  picker.zlvController = controller;
  try {
    const url = `${picker.dataset.zlvCommunePicker}?${new URLSearchParams({ q: text })}`;
    const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    showSuggestions(picker, (await response.json()).communes);
  } catch (error) {
    if (error.name === "AbortError") return;
    closeSuggestions(picker);
    pickerParts(picker).status.textContent = "Les communes n’ont pas pu être chargées. Réessayez.";
  }
}

function moveActive(picker, step) {
  const { input, listbox } = pickerParts(picker);
  const options = [...listbox.querySelectorAll("[role=option]")];
  if (listbox.hidden || options.length === 0) return;
  const active = input.getAttribute("aria-activedescendant");
  const current = options.findIndex((option) => option.id === active);
  const first = step > 0 ? 0 : options.length - 1;
  const next = current === -1 ? first : (current + step + options.length) % options.length;
  options.forEach((option, index) => option.setAttribute("aria-selected", String(index === next)));
  input.setAttribute("aria-activedescendant", options[next].id);
  options[next].scrollIntoView({ block: "nearest" });
}

function choose(picker, option) {
  const { input, status, tags } = pickerParts(picker);
  const { zlvCode: code, zlvName: name } = option.dataset;
  const item = document.createElement("li");
  item.dataset.zlvPickerValue = code;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "fr-tag fr-tag--sm fr-icon-close-line fr-tag--icon-right";
  remove.setAttribute("aria-label", `Retirer la commune ${name}`);
  remove.dataset.zlvPickerRemove = "";
  remove.textContent = name;
  const hidden = document.createElement("input");
  hidden.type = "hidden";
  hidden.name = "localities";
  hidden.value = code;
  hidden.dataset.zlvPicked = "";
  item.append(remove, hidden);
  tags.append(item);
  input.value = "";
  closeSuggestions(picker);
  status.textContent = `Commune ${name} ajoutée au filtre.`;
  applyFilters(picker.closest("form"));
}

function unpick(button) {
  const picker = button.closest("[data-zlv-commune-picker]");
  const { input, status } = pickerParts(picker);
  const name = button.textContent.trim();
  button.closest("li").remove();
  status.textContent = `Commune ${name} retirée du filtre.`;
  input.focus(); // the button is gone: the keyboard user stays in the picker
  applyFilters(picker.closest("form"));
}

function pickerKeydown(event) {
  const picker = event.target.closest("[data-zlv-commune-picker]");
  const { input, listbox } = pickerParts(picker);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (listbox.hidden) suggest(picker);
    else moveActive(picker, event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter") {
    event.preventDefault(); // typing is not a search of the whole form
    const active = input.getAttribute("aria-activedescendant");
    if (active) choose(picker, document.getElementById(active));
  } else if (event.key === "Escape") {
    if (!listbox.hidden) {
      event.preventDefault();
      closeSuggestions(picker);
    } else {
      input.value = "";
    }
  }
}

// Edit from a row --------------------------------------------------------------------------------

function openEdit(button) {
  const modal = document.getElementById(EDIT_MODAL_ID);
  modal.dataset.zlvHousing = button.dataset.zlvEditRow;
  modal.querySelector("[data-zlv-edit-address]").textContent = button.dataset.zlvAddress;
  const loading = document.createElement("p");
  loading.textContent = "Chargement du formulaire…";
  document.getElementById(EDIT_PANEL_ID).replaceChildren(loading);
}

function editedRow() {
  const modal = document.getElementById(EDIT_MODAL_ID);
  return modal && document.getElementById(`housing-row-${modal.dataset.zlvHousing}`);
}

// The "Éditer" button that opened the modal may have been replaced with its row: focus the new one.
function focusEditedRow() {
  const modal = document.getElementById(EDIT_MODAL_ID);
  if (!modal || modal.classList.contains("fr-modal--opened")) return;
  const focused = document.activeElement;
  if (focused && focused !== document.body && focused.isConnected) return;
  const row = editedRow();
  const edit = row && row.querySelector("[data-zlv-edit-row]");
  if (edit) edit.focus();
}

function announce(message) {
  const live = document.getElementById("housing-live");
  if (live) live.textContent = message;
}

// Selection ------------------------------------------------------------------------------------

function storageKey(results) {
  return STORAGE_PREFIX + results.dataset.zlvSelectionKey;
}

function loadSelection(results) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(storageKey(results)) || "null");
    if (saved) return { all: Boolean(saved.all), ids: new Set(saved.ids.map(String)) };
  } catch {
    // an unreadable entry is a fresh selection
  }
  return { all: false, ids: new Set() };
}

function saveSelection(results, selection) {
  const key = storageKey(results);
  if (!selection.all && selection.ids.size === 0) {
    sessionStorage.removeItem(key);
  } else {
    sessionStorage.setItem(key, JSON.stringify({ all: selection.all, ids: [...selection.ids] }));
  }
}

function isSelected(selection, id) {
  // With "all", the ids are the exclusions.
  return selection.all !== selection.ids.has(id);
}

function select(selection, id, checked) {
  if (checked !== selection.all) {
    selection.ids.add(id);
  } else {
    selection.ids.delete(id);
  }
}

function selectionCount(results, selection) {
  const total = Number(results.dataset.zlvTotal);
  return selection.all ? total - selection.ids.size : selection.ids.size;
}

function selectionQuery(results, selection) {
  const params = new URLSearchParams(results.dataset.zlvSelectionKey);
  params.set("housingIds", [...selection.ids].join(","));
  if (selection.all) params.set("all", "true");
  return params.toString();
}

function renderSelection(results) {
  const bar = results.querySelector("[data-zlv-selection]");
  if (!bar) return;
  const selection = loadSelection(results);
  const rows = [...results.querySelectorAll("[data-zlv-select-row]")];
  rows.forEach((box) => {
    box.checked = isSelected(selection, box.value);
    box.closest("tr").setAttribute("aria-selected", String(box.checked));
  });
  const pageBox = results.querySelector("[data-zlv-select-page]");
  const checked = rows.filter((box) => box.checked).length;
  pageBox.checked = rows.length > 0 && checked === rows.length;
  pageBox.indeterminate = checked > 0 && checked < rows.length;
  const count = selectionCount(results, selection);
  const plural = count > 1 ? "s" : "";
  bar.querySelector("[data-zlv-selection-count]").textContent =
    count === 0
      ? "Aucun logement sélectionné"
      : `${numberFormat.format(count)} logement${plural} sélectionné${plural}`;
  bar.querySelector("[data-zlv-select-all]").hidden = selection.all && selection.ids.size === 0;
  bar.querySelector("[data-zlv-select-none]").hidden = count === 0;
  results.dataset.zlvSelectedCount = String(count);
  results.dataset.zlvSelectionQuery = count === 0 ? "" : selectionQuery(results, selection);
  bar.querySelectorAll("[data-zlv-selection-action]").forEach((action) => {
    action.hidden = count < Number(action.dataset.zlvMinSelection || 1);
    action.search = results.dataset.zlvSelectionQuery;
  });
  bar.hidden = false;
}

function updateSelection(target, change) {
  const results = target.closest("[data-zlv-results]");
  const selection = loadSelection(results);
  change(selection, results);
  saveSelection(results, selection);
  renderSelection(results);
}

// Wiring ---------------------------------------------------------------------------------------

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-zlv-select-row]")) {
    updateSelection(target, (selection) => select(selection, target.value, target.checked));
    return;
  }
  if (target.matches("[data-zlv-select-page]")) {
    updateSelection(target, (selection, results) => {
      results
        .querySelectorAll("[data-zlv-select-row]")
        .forEach((box) => select(selection, box.value, target.checked));
    });
    return;
  }
  const form = target.closest("[data-zlv-filters]");
  if (form && target.type === "checkbox") applyFilters(form);
});

document.addEventListener("click", (event) => {
  const edit = event.target.closest("[data-zlv-edit-row]");
  if (edit) {
    openEdit(edit);
    return;
  }
  const remove = event.target.closest("[data-zlv-picker-remove]");
  if (remove) {
    unpick(remove);
    return;
  }
  const target = event.target.closest("[data-zlv-select-all], [data-zlv-select-none]");
  if (!target) return;
  const all = target.matches("[data-zlv-select-all]");
  updateSelection(target, (selection) => {
    selection.all = all;
    selection.ids.clear();
  });
});

// A pointer chooses a suggestion on mousedown, before the input's blur closes the list.
document.addEventListener("mousedown", (event) => {
  const option = event.target.closest("[data-zlv-picker-listbox] [role=option]");
  if (!option) return;
  event.preventDefault();
  choose(option.closest("[data-zlv-commune-picker]"), option);
});

document.addEventListener("input", (event) => {
  if (!event.target.matches("[data-zlv-picker-input]")) return;
  const picker = event.target.closest("[data-zlv-commune-picker]");
  clearTimeout(picker.zlvTimer);
  picker.zlvTimer = setTimeout(() => suggest(picker), SUGGESTION_DELAY_MS);
});

document.addEventListener("focusout", (event) => {
  if (event.target.matches("[data-zlv-picker-input]")) {
    closeSuggestions(event.target.closest("[data-zlv-commune-picker]"));
  }
});

// A list of identifiers pasted from a spreadsheet keeps its separators in the one-line search box.
document.addEventListener("paste", (event) => {
  const box = event.target;
  if (!box.matches || !box.matches("[data-zlv-search]")) return;
  const text = event.clipboardData.getData("text");
  if (!/[\r\n\t]/.test(text)) return;
  event.preventDefault();
  box.setRangeText(text.trim().split(/[\r\n\t]+/).join(" "), box.selectionStart, box.selectionEnd, "end");
});

document.addEventListener("keydown", (event) => {
  if (event.target.matches && event.target.matches("[data-zlv-picker-input]")) pickerKeydown(event);
});

// The edit panel answers for the Fiche logement too: its out-of-band parts (header, history…) have
// no place here, and htmx would report each missing target as an error. A form with errors comes
// back as 422, which htmx would not show.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target.id !== EDIT_PANEL_ID || typeof event.detail.serverResponse !== "string") return;
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
  const template = document.createElement("template");
  template.innerHTML = event.detail.serverResponse;
  template.content.querySelectorAll("[hx-swap-oob]").forEach((part) => part.remove());
  event.detail.serverResponse = template.innerHTML;
});

// Saved, even partly (another user's change is then shown in the panel): the row shows it.
document.addEventListener("htmx:afterRequest", (event) => {
  const { requestConfig, target, xhr } = event.detail;
  if (xhr.status !== 200 || requestConfig.verb !== "post" || !target || target.id !== EDIT_PANEL_ID) return;
  const row = editedRow();
  if (row && window.htmx) window.htmx.trigger(row, "zlv:refresh-row");
  // The dwelling may have changed tab (status) or left the filters: count again.
  if (window.htmx) window.htmx.trigger(document.body, "zlv:refresh-counts");
});

// Fresh counts arrived (out of band): the "select all" total follows.
document.addEventListener("htmx:afterRequest", (event) => {
  if (!event.detail.elt.matches || !event.detail.elt.matches("[data-zlv-counts]")) return;
  const count = document.getElementById("housing-matching-count");
  const results = event.detail.elt.closest("[data-zlv-results]");
  if (!count || !results) return;
  results.dataset.zlvTotal = count.dataset.zlvMatchingCount;
  renderSelection(results);
});

// Everything saved: close the modal.
document.body.addEventListener("zlv:housing-saved", () => {
  const modal = document.getElementById(EDIT_MODAL_ID);
  if (modal && window.dsfr) window.dsfr(modal).modal.conceal();
  announce("Les modifications du logement ont bien été enregistrées.");
});

document.addEventListener("dsfr.conceal", (event) => {
  if (event.target.id === EDIT_MODAL_ID) setTimeout(focusEditedRow);
});

function setUp() {
  const form = filtersForm();
  if (form) {
    syncDependentFilters(form);
    // Ticking applies the filters: the button is only needed without JavaScript.
    form.querySelectorAll("[data-zlv-apply]").forEach((button) => (button.hidden = true));
    // The picker's text box only feeds the suggestions: it is not a field of the form any more.
    form.querySelectorAll("[data-zlv-picker-input][name]").forEach((input) => input.removeAttribute("name"));
  }
  document.querySelectorAll("[data-zlv-results]").forEach(renderSelection);
}

document.addEventListener("htmx:afterSettle", (event) => {
  setUp();
  // A refreshed row (the event fires on the new one).
  if (event.target.matches && event.target.matches("[data-zlv-row]")) {
    focusEditedRow();
    return;
  }
  // The activated link (tab, page, tag) was replaced: keep the keyboard user in the results.
  const focused = document.activeElement;
  if (!focused || focused === document.body) {
    const title = document.getElementById("housing-results-title");
    if (title && event.detail.target && event.detail.target.isConnected) title.focus();
  }
});

document.addEventListener("htmx:historyRestore", setUp);
setUp();

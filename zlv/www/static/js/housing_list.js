// Parc de logements. Hooked on data-zlv-* attributes; htmx swaps the results, so listeners are
// delegated to the document and the state is re-applied after each swap.
// - A ticked filter applies at once (the form is sent through htmx; without JS, its button sends it).
// - "Année de début de vacance" follows the occupation "Vacant"; sub-statuses follow the statuses.
// - The row selection, {all, ids}, lives in sessionStorage under the filters it was made with, so it
//   survives paging and sorting; data-zlv-selection-query on the results holds it for bulk actions
//   (housingIds=…, plus all=true when "Sélectionner les N logements" was used: ids are then exclusions).

const STORAGE_PREFIX = "zlv-selection:";

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
    const count = section.querySelectorAll("input[type=checkbox]:checked:not(:disabled)").length;
    badge.querySelector("[data-zlv-section-count-value]").textContent = String(count);
    badge.hidden = count === 0;
  });
}

function narrowOptions(searchBox) {
  const text = searchBox.value.trim().toLocaleLowerCase("fr");
  const fieldset = searchBox.closest("fieldset");
  fieldset.querySelectorAll("[data-zlv-option]").forEach((option) => {
    const box = option.querySelector("input");
    option.hidden = Boolean(text) && !box.checked && !option.dataset.zlvOption.includes(text);
  });
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
  if (form && target.type === "checkbox") {
    syncDependentFilters(form);
    countSections(form);
    form.requestSubmit();
  }
});

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-zlv-select-all], [data-zlv-select-none]");
  if (!target) return;
  const all = target.matches("[data-zlv-select-all]");
  updateSelection(target, (selection) => {
    selection.all = all;
    selection.ids.clear();
  });
});

document.addEventListener("input", (event) => {
  if (event.target.matches("[data-zlv-option-search]")) narrowOptions(event.target);
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

// The option search box narrows the list: Enter must not send the form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("[data-zlv-option-search]")) event.preventDefault();
});

function setUp() {
  const form = filtersForm();
  if (form) {
    syncDependentFilters(form);
    // Ticking applies the filters: the button is only needed without JavaScript.
    form.querySelectorAll("[data-zlv-apply]").forEach((button) => (button.hidden = true));
  }
  document.querySelectorAll("[data-zlv-results]").forEach(renderSelection);
}

document.addEventListener("htmx:afterSettle", (event) => {
  document.addEventListener("htmx:historyRestore", setUp);
setUp();
  // The activated link (tab, page, tag) was replaced: keep the keyboard user in the results.
  const focused = document.activeElement;
  if (!focused || focused === document.body) {
    const title = document.getElementById("housing-results-title");
    if (title && event.detail.target && event.detail.target.isConnected) title.focus();
  }
});

document.addEventListener("htmx:historyRestore", setUp);
setUp();

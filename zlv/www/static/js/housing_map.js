// Map view of the Parc de logements (view=map). MapLibre is loaded only when a map is on the page,
// together with the perimeter outline (its own cacheable GeoJSON request).
// Features come from /api/v1/housing/map with the page's filters, the viewport and the zoom, and are
// fetched again when the map moves: clusters (circles with their number) at low zoom, addresses
// coloured by follow-up status from MAP_POINTS_MIN_ZOOM. With "Regrouper les logements" off, the
// map asks for addresses at any zoom (the server caps their number). A click on an address, or its
// button in the list under the map (the keyboard way in), opens the side panel listing its
// dwellings. The map, its options and its list survive htmx swaps (hx-preserve): a filter change
// only reloads the features.
// The perimeters that the filter names (geoPerimetersIncluded/Excluded) are drawn over the outline,
// the excluded ones dashed. Without a base map (MAP_STYLE_URL empty, or its style cannot load), the
// map draws its own base: the communes of the perimeter and around it, outlined and named.
// For the browser tests the container exposes data-zlv-map-loaded="true", data-zlv-rendered-features,
// data-zlv-map-base ("style" or "communes"), data-zlv-filter-perimeters (perimeters drawn) and the
// map object itself (container.zlvMap).

const MAPLIBRE_URL = new URL("../vendor/maplibre-gl-6.17.0/maplibre-gl.mjs", import.meta.url).href;
const REFRESH_DELAY_MS = 250;
const FEATURE_LAYERS = ["housing-clusters", "housing-points"];
const FALLBACK_COLOUR = "#666666";
const EMPTY_COLLECTION = { type: "FeatureCollection", features: [] };
const PERIMETER_FILTERS = ["geoPerimetersIncluded", "geoPerimetersExcluded"];
// Glyphs omitted from our own styles: MapLibre draws labels with these local (or web) fonts.
const LABEL_FONTS = ["Marianne", "Arial", "sans-serif"];
const FRENCH = {
  "NavigationControl.ZoomIn": "Zoomer",
  "NavigationControl.ZoomOut": "Dézoomer",
  "NavigationControl.ResetBearing": "Réinitialiser l’orientation",
  "FullscreenControl.Enter": "Afficher en plein écran",
  "FullscreenControl.Exit": "Quitter le plein écran",
  "AttributionControl.ToggleAttribution": "Afficher ou masquer les crédits",
  "Map.Title": "Carte des logements",
};
const numberFormat = new Intl.NumberFormat("fr-FR");
// Buttons in the list under the map: enough to reach every address of a zoomed-in view.
const LIST_LIMIT = 100;

let current = null;

function plainStyle() {
  return {
    version: 8,
    sources: {},
    layers: [{ id: "fond", type: "background", paint: { "background-color": "#f6f6f6" } }],
  };
}

function dsfrColour(family) {
  const value = getComputedStyle(document.documentElement)
    .getPropertyValue(`--background-action-high-${family}`)
    .trim();
  return value || FALLBACK_COLOUR;
}

function readFilters() {
  const element = document.getElementById("housing-map-filters");
  return element ? element.dataset.zlvMapFilters : "";
}

function clampedBbox(map) {
  const bounds = map.getBounds();
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
  return [
    clamp(bounds.getWest(), 180),
    clamp(bounds.getSouth(), 90),
    clamp(bounds.getEast(), 180),
    clamp(bounds.getNorth(), 90),
  ]
    .map((value) => value.toFixed(5))
    .join(",");
}

function showError(state, message) {
  let alert = state.container.parentElement.querySelector("[data-zlv-map-error]");
  if (!message) {
    if (alert) alert.remove();
    return;
  }
  if (!alert) {
    alert = document.createElement("div");
    alert.className = "fr-alert fr-alert--error fr-alert--sm";
    alert.setAttribute("role", "alert");
    alert.dataset.zlvMapError = "";
    alert.append(document.createElement("p"));
    state.container.before(alert);
  }
  alert.querySelector("p").textContent = message;
}

function drawClusterLabels(state, collection) {
  state.markers.forEach((marker) => marker.remove());
  state.markers = collection.features
    .filter((feature) => feature.properties.cluster)
    .map((feature) => {
      const label = document.createElement("span");
      label.className = "zlv-cluster-label";
      label.setAttribute("aria-hidden", "true");
      label.textContent = numberFormat.format(feature.properties.count);
      return new state.maplibre.Marker({ element: label })
        .setLngLat(feature.geometry.coordinates)
        .addTo(state.map);
    });
}

function exposeRendered(state) {
  const rendered = state.map.queryRenderedFeatures({ layers: FEATURE_LAYERS });
  state.container.dataset.zlvRenderedFeatures = String(rendered.length);
  state.container.dataset.zlvMapLoaded = "true";
  state.container.removeAttribute("aria-busy");
}

function clusteringWanted() {
  const toggle = document.querySelector("[data-zlv-map-cluster]");
  return !toggle || toggle.checked;
}

// The endpoint clusters below pointsMinZoom: without clustering, ask for addresses at any zoom.
function requestedZoom(state) {
  const zoom = state.map.getZoom();
  return clusteringWanted() ? zoom : Math.max(zoom, state.config.pointsMinZoom);
}

function showNotice(state, collection) {
  const notice = document.querySelector("[data-zlv-map-notice]");
  if (!notice) return;
  const maximum = numberFormat.format(state.config.maxPoints);
  notice.textContent = collection.truncated
      ? `Seules ${maximum} adresses de la zone affichée sont dessinées : zoomez pour voir les autres.`
      : "";
}

async function refresh(state) {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const params = new URLSearchParams(state.filters);
  params.set("zoom", requestedZoom(state).toFixed(2));
  params.set("bbox", clampedBbox(state.map));
  state.container.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`${state.config.featuresUrl}?${params}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const collection = await response.json();
    showError(state, "");
    state.map.getSource("housing").setData(collection);
    drawClusterLabels(state, collection);
    renderList(state, collection);
    showNotice(state, collection);
    state.map.once("idle", () => exposeRendered(state));
    state.map.triggerRepaint();
  } catch (error) {
    if (error.name === "AbortError") return;
    state.container.removeAttribute("aria-busy");
    showError(state, "Les logements n’ont pas pu être affichés sur la carte. Réessayez dans un instant.");
  }
}

function scheduleRefresh(state) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => refresh(state), REFRESH_DELAY_MS);
}

// Our own base map: communes of the perimeter (white) and around it (grey), outlined and named.
function addCommuneBase(state) {
  const { map, config } = state;
  map.addSource("communes", { type: "geojson", data: config.communesUrl });
  const polygons = ["==", ["geometry-type"], "Polygon"];
  const areas = ["any", polygons, ["==", ["geometry-type"], "MultiPolygon"]];
  map.addLayer({
    id: "communes-fill",
    type: "fill",
    source: "communes",
    filter: areas,
    paint: { "fill-color": ["case", ["get", "inPerimeter"], "#ffffff", "#eeeeee"] },
  });
  map.addLayer({
    id: "communes-line",
    type: "line",
    source: "communes",
    filter: areas,
    paint: { "line-color": "#929292", "line-width": 1 },
  });
  map.addLayer({
    id: "communes-label",
    type: "symbol",
    source: "communes",
    filter: ["==", ["geometry-type"], "Point"],
    minzoom: 8,
    layout: { "text-field": ["get", "name"], "text-font": LABEL_FONTS, "text-size": 12 },
    paint: { "text-color": "#3a3a3a", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
  });
  state.container.dataset.zlvMapBase = "communes";
}

function perimeterFilterParams(filters) {
  const params = new URLSearchParams(filters);
  return PERIMETER_FILTERS.some((name) => params.get(name)) ? params : null;
}

// The perimeters that the filter names; none when the filter names none.
async function loadFilterPerimeters(state) {
  const source = state.map.getSource("filter-perimeters");
  if (!source) return;
  const { filters } = state;
  const params = perimeterFilterParams(filters);
  let collection = EMPTY_COLLECTION;
  if (params) {
    try {
      const response = await fetch(`${state.config.perimetersUrl}?${params}`, {
        headers: { Accept: "application/geo+json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      collection = await response.json();
    } catch (error) {
      console.warn("Périmètres du filtre indisponibles.", error);
    }
  }
  if (filters !== state.filters) return; // the filter changed meanwhile: its own call draws it
  source.setData(collection);
  state.container.dataset.zlvFilterPerimeters = String(collection.features.length);
}

function addFilterPerimeterLayers(map) {
  const colour = dsfrColour("purple-glycine");
  map.addSource("filter-perimeters", { type: "geojson", data: EMPTY_COLLECTION });
  const excluded = ["==", ["get", "excluded"], true];
  map.addLayer({
    id: "filter-perimeters-fill",
    type: "fill",
    source: "filter-perimeters",
    filter: ["!", excluded],
    paint: { "fill-color": colour, "fill-opacity": 0.08 },
  });
  [
    ["filter-perimeters-line", ["!", excluded], {}],
    ["filter-perimeters-excluded-line", excluded, { "line-dasharray": [2, 2] }],
  ].forEach(([id, filter, dashes]) => {
    const paint = { "line-color": colour, "line-width": 2, ...dashes };
    map.addLayer({ id, type: "line", source: "filter-perimeters", filter, paint });
  });
}

function addLayers(state) {
  const { map, outline } = state;
  if (outline && outline.geometry) {
    map.addSource("perimeter", { type: "geojson", data: outline });
    map.addLayer({
      id: "perimeter-fill",
      type: "fill",
      source: "perimeter",
      paint: { "fill-color": dsfrColour("blue-france"), "fill-opacity": 0.04 },
    });
    map.addLayer({
      id: "perimeter-line",
      type: "line",
      source: "perimeter",
      paint: { "line-color": dsfrColour("blue-france"), "line-width": 2 },
    });
  }
  addFilterPerimeterLayers(map);
  map.addSource("housing", { type: "geojson", data: EMPTY_COLLECTION });
  map.addLayer({
    id: "housing-clusters",
    type: "circle",
    source: "housing",
    filter: ["==", ["get", "cluster"], true],
    paint: {
      "circle-color": dsfrColour("blue-france"),
      "circle-opacity": 0.85,
      "circle-radius": ["step", ["get", "count"], 13, 10, 17, 100, 22, 1000, 28],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 2,
    },
  });
  const statusColour = ["match", ["get", "status"]];
  Object.entries(state.config.statuses).forEach(([status, { colour }]) => {
    statusColour.push(Number(status), dsfrColour(colour));
  });
  statusColour.push(FALLBACK_COLOUR);
  map.addLayer({
    id: "housing-points",
    type: "circle",
    source: "housing",
    filter: ["!=", ["get", "cluster"], true],
    paint: {
      "circle-color": statusColour,
      "circle-radius": ["case", [">", ["get", "count"], 1], 9, 7],
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 2,
    },
  });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// "DUPONT/JEAN MARIE" as written in the Fichiers fonciers → "DUPONT Jean Marie" (as Owner.display_name).
function ownerDisplayName(fullName) {
  const [surname, ...rest] = fullName.split("/");
  const firstNames = rest.join("/").toLocaleLowerCase("fr").replace(/(^|[\s-])\p{L}/gu, (m) => m.toLocaleUpperCase("fr"));
  return firstNames ? `${surname} ${firstNames}`.trim() : fullName;
}

function housingItem(state, housing) {
  const status = state.config.statuses[housing.status] || { label: housing.status_label, colour: "" };
  const item = element("li");
  // Every dwelling of the panel shares the address of its title: the fiscal id tells them apart.
  const link = element("a", "fr-link", `Logement ${housing.local_id}`);
  link.href = `/logements/${housing.id}`;
  item.append(link);
  const badges = element("ul", "fr-badges-group fr-mt-1w");
  const badge = element("li");
  badge.append(element("p", `fr-badge fr-badge--sm fr-badge--no-icon fr-badge--${status.colour}`, status.label));
  badges.append(badge);
  item.append(badges);
  if (housing.sub_status) item.append(element("p", "fr-text--xs fr-mb-1v", housing.sub_status));
  item.append(element("p", "fr-text--sm fr-mb-0", `Occupation : ${housing.occupancy_label}`));
  if (housing.primary_owner_name) {
    const owner = `Propriétaire : ${ownerDisplayName(housing.primary_owner_name)}`;
    item.append(element("p", "fr-text--sm fr-mb-0", owner));
  }
  return item;
}

// List under the map ------------------------------------------------------------------------------

function featureIds(feature) {
  const ids = feature.properties.ids;
  return typeof ids === "string" ? JSON.parse(ids) : ids; // MapLibre serialises array properties
}

// "1 logement", "1 234 logements".
function counted(number, noun) {
  return `${numberFormat.format(number)} ${noun}${number > 1 ? "s" : ""}`;
}

function listEntry(state, feature) {
  const { count, cluster, address, status } = feature.properties;
  const dwellings = counted(count, "logement");
  const button = element("button", "fr-btn fr-btn--sm fr-btn--tertiary-no-outline zlv-map-list__button");
  button.type = "button";
  if (cluster) {
    button.textContent = `Groupe de ${dwellings} : zoomer dessus`;
    button.addEventListener("click", () => zoomOn(state, feature));
  } else {
    const statusLabel = (state.config.statuses[status] || {}).label;
    button.textContent = [address || "Adresse inconnue", dwellings, statusLabel].filter(Boolean).join(" · ");
    button.dataset.zlvMapEntry = featureIds(feature).join(",");
    button.addEventListener("click", () => openPanel(state, feature, button));
  }
  const item = element("li");
  item.append(button);
  return item;
}

function renderList(state, collection) {
  const section = document.getElementById("housing-map-list");
  if (!section) return;
  const list = section.querySelector("[data-zlv-map-list]");
  const hadFocus = section.contains(document.activeElement) && document.activeElement !== section;
  const focusedEntry = hadFocus ? document.activeElement.dataset.zlvMapEntry : undefined;
  const clusters = collection.features.filter((feature) => feature.properties.cluster);
  const points = collection.features.filter((feature) => !feature.properties.cluster);
  const address = (feature) => feature.properties.address || "";
  const shown = [
    ...clusters.sort((a, b) => b.properties.count - a.properties.count),
    ...points.sort((a, b) => address(a).localeCompare(address(b), "fr")),
  ].slice(0, LIST_LIMIT);
  list.replaceChildren(...shown.map((feature) => listEntry(state, feature)));
  // Opening the panel resizes the map, which reloads the list: focus will return to the new entry.
  const opener = state.panelOpener;
  if (opener && !opener.isConnected && opener.dataset.zlvMapEntry) {
    const entry = list.querySelector(`[data-zlv-map-entry="${opener.dataset.zlvMapEntry}"]`);
    if (entry) state.panelOpener = entry;
  }
  const parts = [];
  if (clusters.length) parts.push(counted(clusters.length, "groupe"));
  if (points.length) parts.push(counted(points.length, "adresse"));
  let summary = parts.length
    ? `${parts.join(" et ")} dans la zone affichée.`
    : "Aucun logement dans la zone affichée.";
  if (collection.features.length > LIST_LIMIT) {
    summary += ` Seuls les ${LIST_LIMIT} premiers éléments sont listés : zoomez pour réduire la zone.`;
  }
  section.querySelector("[data-zlv-map-list-summary]").textContent = summary;
  // The focused entry was replaced (the map moved): focus its new copy when the address is still
  // listed, else the list's title, so the keyboard user stays in the list.
  if (hadFocus) {
    const sameEntry = focusedEntry && list.querySelector(`[data-zlv-map-entry="${focusedEntry}"]`);
    (sameEntry || section.querySelector("#housing-map-list-title")).focus();
  }
}

function zoomOn(state, feature) {
  state.map.easeTo({ center: feature.geometry.coordinates, zoom: state.map.getZoom() + 2 });
}

// Side panel -------------------------------------------------------------------------------------

async function openPanel(state, feature, opener) {
  const panel = document.getElementById("housing-map-panel");
  if (!panel) return;
  state.panelOpener = opener || null;
  const body = panel.querySelector("[data-zlv-map-panel-body]");
  const title = panel.querySelector("#housing-map-panel-title");
  const ids = featureIds(feature);
  const count = Number(feature.properties.count) || ids.length;
  title.textContent = feature.properties.address || "Logements à cette adresse";
  body.replaceChildren(element("p", "fr-text--sm", "Chargement des logements…"));
  panel.hidden = false;
  state.map.resize();
  title.focus();
  try {
    const params = new URLSearchParams({ housingIds: ids.join(","), perPage: String(ids.length) });
    const response = await fetch(`${state.config.housingUrl}?${params}`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const page = await response.json();
    const plural = count > 1 ? "s" : "";
    let summary = `${numberFormat.format(count)} logement${plural} à cette adresse`;
    if (count > page.items.length) summary += ` (les ${page.items.length} premiers sont listés)`;
    const list = element("ul", "zlv-map-panel__list");
    page.items.forEach((housing) => list.append(housingItem(state, housing)));
    body.replaceChildren(element("p", "fr-text--sm fr-mb-1w", summary), list);
  } catch {
    body.replaceChildren(
      element("p", "fr-error-text", "Les logements de cette adresse n’ont pas pu être chargés."),
    );
  }
}

function closePanel(state) {
  const panel = document.getElementById("housing-map-panel");
  if (!panel || panel.hidden) return;
  panel.hidden = true;
  state.map.resize();
  const opener = state.panelOpener;
  if (opener && opener.isConnected) opener.focus();
  else state.map.getCanvas().focus();
}

// Life cycle -------------------------------------------------------------------------------------

// The perimeter outline (GeoJSON Feature with its bbox); the map still works without it.
async function loadOutline(url) {
  try {
    const response = await fetch(url, { headers: { Accept: "application/geo+json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (error) {
    console.warn("Contour du périmètre indisponible.", error);
    return null;
  }
}

async function setUp(container) {
  const config = JSON.parse(document.getElementById(container.dataset.zlvMap).textContent);
  container.replaceChildren();
  const [maplibre, outline] = await Promise.all([import(MAPLIBRE_URL), loadOutline(config.outlineUrl)]);
  const options = {
    container,
    style: config.styleUrl || plainStyle(),
    center: [2, 47],
    zoom: 5,
    attributionControl: config.styleUrl ? { compact: true } : false,
    locale: FRENCH,
  };
  if (outline && outline.bbox) {
    options.bounds = outline.bbox;
    options.fitBoundsOptions = { padding: 24, maxZoom: 15 };
  }
  const map = new maplibre.Map(options);
  map.addControl(new maplibre.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibre.FullscreenControl(), "top-right");
  const state = { container, map, maplibre, config, outline, filters: readFilters(), markers: [] };
  state.timer = null;
  state.controller = null;
  state.panelOpener = null;
  current = state;
  container.zlvMap = map;

  let styleReady = false;
  let ownBase = !config.styleUrl;
  container.dataset.zlvMapBase = "style";
  map.on("error", (event) => {
    // An unreachable base map must not hide the dwellings: fall back to our own base of communes.
    if (!styleReady && config.styleUrl) {
      styleReady = true;
      ownBase = true;
      console.warn("Fond de carte indisponible, carte des communes à la place.", event.error);
      map.setStyle(plainStyle());
    }
  });
  map.once("load", () => {
    styleReady = true;
    if (ownBase) addCommuneBase(state);
    addLayers(state);
    refresh(state);
    loadFilterPerimeters(state);
    map.on("moveend", () => scheduleRefresh(state));
    map.on("click", "housing-clusters", (event) => zoomOn(state, event.features[0]));
    map.on("click", "housing-points", (event) => openPanel(state, event.features[0]));
    FEATURE_LAYERS.forEach((layer) => {
      map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
    });
  });
}

function tearDown() {
  if (!current) return;
  clearTimeout(current.timer);
  if (current.controller) current.controller.abort();
  current.map.remove();
  current = null;
}

function sync() {
  if (current && !current.container.isConnected) tearDown();
  const container = document.querySelector("[data-zlv-map]");
  if (!container) return;
  if (!current) {
    setUp(container);
    return;
  }
  const filters = readFilters();
  if (filters !== current.filters) {
    current.filters = filters;
    if (current.map.getSource("housing")) {
      closePanel(current);
      refresh(current);
      loadFilterPerimeters(current);
    }
  }
}

document.addEventListener("click", (event) => {
  if (current && event.target.closest("[data-zlv-map-panel-close]")) closePanel(current);
});
document.addEventListener("change", (event) => {
  if (current && event.target.matches("[data-zlv-map-cluster]") && current.map.getSource("housing")) {
    refresh(current);
  }
});
document.addEventListener("keydown", (event) => {
  if (current && event.key === "Escape" && event.target.closest("#housing-map-panel")) closePanel(current);
});
document.addEventListener("htmx:afterSettle", sync);
document.addEventListener("htmx:historyRestore", sync);
sync();

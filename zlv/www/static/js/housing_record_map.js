// Mini-map of the Fiche logement: one point, on the base map when MAP_STYLE_URL is set, else on a
// plain background (offline). Data comes from the json_script named by data-zlv-housing-map;
// data-zlv-map-loaded="true" is set once the map has drawn (browser tests wait for it).
import { Map, NavigationControl } from "../vendor/maplibre-gl-6.17.0/maplibre-gl.mjs";

const POINT_COLOUR = "#000091"; // DSFR blue-france-sun-113
const FRENCH = {
  "NavigationControl.ZoomIn": "Zoomer",
  "NavigationControl.ZoomOut": "Dézoomer",
  "NavigationControl.ResetBearing": "Réinitialiser l’orientation",
  "CooperativeGesturesHandler.WindowsHelpText": "Utilisez Ctrl + molette pour zoomer sur la carte",
  "CooperativeGesturesHandler.MacHelpText": "Utilisez ⌘ + molette pour zoomer sur la carte",
  "CooperativeGesturesHandler.MobileHelpText": "Utilisez deux doigts pour déplacer la carte",
  "AttributionControl.ToggleAttribution": "Afficher ou masquer les crédits",
  "Map.Title": "Carte",
};

function plainStyle() {
  return {
    version: 8,
    sources: {},
    layers: [{ id: "fond", type: "background", paint: { "background-color": "#f6f6f6" } }],
  };
}

function drawMap(container) {
  const data = JSON.parse(document.getElementById(container.dataset.zlvHousingMap).textContent);
  const center = [data.longitude, data.latitude];
  const map = new Map({
    container,
    style: data.styleUrl || plainStyle(),
    center,
    zoom: 16,
    attributionControl: data.styleUrl ? { compact: true } : false,
    cooperativeGestures: true,
    locale: FRENCH,
  });
  map.addControl(new NavigationControl({ showCompass: false }), "top-right");
  map.on("load", () => {
    map.addSource("logement", {
      type: "geojson",
      data: { type: "Feature", geometry: { type: "Point", coordinates: center }, properties: {} },
    });
    map.addLayer({
      id: "logement",
      type: "circle",
      source: "logement",
      paint: {
        "circle-radius": 9,
        "circle-color": POINT_COLOUR,
        "circle-stroke-width": 3,
        "circle-stroke-color": "#ffffff",
      },
    });
    map.once("idle", () => {
      container.dataset.zlvMapLoaded = "true";
    });
  });
}

document.querySelectorAll("[data-zlv-housing-map]").forEach(drawMap);

// API documentation page: start the vendored Swagger UI on the element marked data-zlv-api-docs,
// with the settings the server wrote (json_script) into the element it names.
const root = document.querySelector("[data-zlv-api-docs]");

if (root && window.SwaggerUIBundle) {
  const settings = JSON.parse(document.getElementById(root.dataset.zlvApiDocs).textContent);
  window.SwaggerUIBundle({
    ...settings,
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
}

// Starts Swagger UI on the /schema page. Kept in a file of its own so the page needs no inline
// script; everything it loads comes from this server (no validator badge, no remote spec).
(function () {
  "use strict";
  var mount = document.getElementById("api-reference");
  if (!mount || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: mount.getAttribute("data-spec-url"),
    domNode: mount,
    deepLinking: true,
    // The public validator is another host: never call it.
    validatorUrl: null,
    // Only the spec named above; a ?url= in the address must not load someone else's.
    queryConfigEnabled: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();

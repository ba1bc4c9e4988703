// Toasts announced by the server with HX-Trigger: {"toast": {"message": ..., "level": ...}}.
document.addEventListener("toast", function (event) {
  var detail = event.detail || {};
  var box = document.getElementById("toasts");
  if (!box || !detail.message) return;
  var item = document.createElement("div");
  item.className = "toast toast-" + (detail.level || "info");
  item.setAttribute("role", "status");
  item.textContent = detail.message;
  box.appendChild(item);
  setTimeout(function () { item.remove(); }, 5000);
});

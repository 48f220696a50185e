// Progressive enhancement for the complaint form; everything works without it.
// 1. The desa list shows only the villages of the chosen kecamatan (and choosing a desa
//    first picks its kecamatan). 2. A button fills the coordinates from the phone's GPS.
(function () {
  "use strict";
  var kecamatan = document.getElementById("kecamatan");
  var desa = document.getElementById("desa");
  if (kecamatan && desa) {
    var groups = Array.prototype.slice.call(desa.querySelectorAll("optgroup"));
    var narrow = function () {
      var chosen = kecamatan.value;
      groups.forEach(function (group) {
        var show = !chosen || group.getAttribute("data-kecamatan") === chosen;
        group.hidden = !show;
        group.disabled = !show;
      });
      var selected = desa.options[desa.selectedIndex];
      if (selected && selected.parentNode.disabled) {
        desa.value = "";
      }
    };
    kecamatan.addEventListener("change", narrow);
    desa.addEventListener("change", function () {
      var selected = desa.options[desa.selectedIndex];
      var group = selected && selected.parentNode;
      if (group && group.tagName === "OPTGROUP" && !kecamatan.value) {
        kecamatan.value = group.getAttribute("data-kecamatan");
        narrow();
      }
    });
    narrow();
  }

  var button = document.getElementById("use-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
      });
    });
  }
})();

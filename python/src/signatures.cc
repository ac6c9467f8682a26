// fsspeckit: lets inspect.signature read nanobind's own description of each binding.
#include <cstring>

#include <nanobind/nanobind.h>

#include "init.h"

namespace nb = nanobind;

namespace fsspeckit::python {

void InitSignatures(nb::module_& m) {
  m.def(
      "_install_signature_property",
      [](nb::handle binding, nb::handle property) {
        // nanobind's function types are immutable heap types, so `type.__signature__ = ...`
        // is refused; their dictionary is still an ordinary dict. Only nanobind's own
        // types are accepted, and only __signature__ is set: calls are unaffected.
        auto* type = Py_TYPE(binding.ptr());
        if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE) ||
            std::strncmp(type->tp_name, "nanobind.", 9) != 0) {
          throw nb::type_error("expected a nanobind function, method or bound method");
        }
        if (PyDict_SetItemString(type->tp_dict, "__signature__", property.ptr()) != 0) {
          throw nb::python_error();
        }
        PyType_Modified(type);
      },
      nb::arg("binding"), nb::arg("property"),
      "Sets __signature__ (a property) on the type of a nanobind function object.");
}

}  // namespace fsspeckit::python

"""CloudFormation list parameters: `Ref` to a CommaDelimitedList (or List<...>) is a list, default or not.

AWS resolves a list parameter to a list whether its value was passed or came from `Default`. moto splits a
passed value but leaves a default as one string, so `!Join [",", !Ref ListParameter]` joins its characters.
Patched: `moto.cloudformation.parsing.ResourceMap.load_parameters` (defaults are split after moto's own pass).
Other list parameter uses (Fn::Select, Fn::Join) then see the list too.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.parsing import ResourceMap

_PATCHED = "_restore_sync_list_defaults"


def _is_list(parameter_type: str) -> bool:
    return parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<")


def install() -> None:
    if getattr(ResourceMap.load_parameters, _PATCHED, False):
        return
    original = ResourceMap.load_parameters

    def load_parameters(self: Any) -> None:
        original(self)
        for name, slot in self._template.get("Parameters", {}).items():
            value = self.resolved_parameters.get(name)
            if _is_list(slot.get("Type", "String")) and isinstance(value, str):
                items = [item.strip() for item in value.split(",")]
                if slot["Type"] == "List<Number>":
                    self.resolved_parameters[name] = [float(i) if "." in i else int(i) for i in items]
                else:
                    self.resolved_parameters[name] = items
                # Ref reads parameters from the parsed resources, which moto filled before this pass.
                self._parsed_resources[name] = self.resolved_parameters[name]

    setattr(load_parameters, _PATCHED, True)
    ResourceMap.load_parameters = load_parameters  # type: ignore[method-assign]

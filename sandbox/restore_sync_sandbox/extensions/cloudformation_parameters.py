"""CloudFormation parameters as `Ref` gives them: lists for list types, default or not; text for numbers.

AWS resolves a list parameter to a list whether its value was passed or came from `Default`. moto splits a
passed value but leaves a default as one string, so `!Join [",", !Ref ListParameter]` joins its characters.
And a Number parameter is validated as a number but, AWS's template reference says, "when you use the parameter
elsewhere in your template (for example, by using the Ref intrinsic function), the parameter value becomes a
string"; moto gave an int or float (from the YAML default or by parsing the value passed), so a Lambda
environment variable made from it was a number, which Lambda's API never holds (UpdateFunctionConfiguration with
the variables GetFunction returned then failed validation). List<Number> items are text the same way.
Patched: `moto.cloudformation.parsing.ResourceMap.load_parameters` (after moto's own pass). Other list parameter
uses (Fn::Select, Fn::Join) then see the list too.
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
            kind = slot.get("Type", "String")
            value = self.resolved_parameters.get(name)
            if kind == "Number" and value is not None:
                given = self.input_parameters.get(name, slot.get("Default"))
                self.resolved_parameters[name] = str(given)
            elif _is_list(kind) and isinstance(value, str):
                self.resolved_parameters[name] = [item.strip() for item in value.split(",")]
            elif kind == "List<Number>" and isinstance(value, list):
                self.resolved_parameters[name] = [str(item) for item in value]
            else:
                continue
            # Ref reads parameters from the parsed resources, which moto filled before this pass.
            self._parsed_resources[name] = self.resolved_parameters[name]

    setattr(load_parameters, _PATCHED, True)
    ResourceMap.load_parameters = load_parameters  # type: ignore[method-assign]

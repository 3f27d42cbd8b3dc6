(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type

(call_expression function: [(identifier) @reference (selector_expression field: (field_identifier) @reference)])
(type_identifier) @reference

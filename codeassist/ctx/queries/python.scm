; Definitions: @definition.KIND around the whole node, @name on its name.
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function

; References: names used by calls, bases, decorators, imports and annotations.
(call function: [(identifier) @reference (attribute attribute: (identifier) @reference)])
(class_definition superclasses: (argument_list [(identifier) @reference (attribute attribute: (identifier) @reference)]))
(decorator [(identifier) @reference (attribute attribute: (identifier) @reference)])
(import_from_statement name: (dotted_name (identifier) @reference .))
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @reference .)))
(type (identifier) @reference)

; Tables, views and their columns (schemas and migration files).
(create_table (object_reference name: (identifier) @name)) @definition.table
(create_view (object_reference name: (identifier) @name)) @definition.view
(column_definition name: (identifier) @name) @definition.column

; References: tables read or written, and columns named.
(relation (object_reference name: (identifier) @reference))
(insert (object_reference name: (identifier) @reference))
(update (relation (object_reference name: (identifier) @reference)))
(field name: (identifier) @reference)

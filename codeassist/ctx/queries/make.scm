; Targets, except special ones such as .PHONY.
((rule (targets (word) @name)) @definition.target
 (#not-match? @name "^[.]"))

(prerequisites (word) @reference)

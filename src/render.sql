
-------------------------------------------------------------------------------
-- Templates rendered (src/render.c); the shipped templates are in
-- templates.sql
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.render(template text, context jsonb)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_render'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.render(text, jsonb) IS
    'fills a template: {{a.b}}, {{x|money}}, {{d|date}}, {{#items}}...{{/items}}, {{^x}}...{{/x}}';

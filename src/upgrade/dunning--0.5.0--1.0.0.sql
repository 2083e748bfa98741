\echo Use "ALTER EXTENSION dunning UPDATE TO '1.0.0'" to load this file. \quit
-------------------------------------------------------------------------------
-- 0.5.0 -> 1.0.0, written by hand
--
-- 1.0.0 builds its install script from one source file per concept; the
-- objects it shares with 0.5.0 are the same.  What it changes in objects
-- that are already members of the extension is changed here in place
-- (CREATE OR REPLACE, ALTER), so users' views on them and their grants
-- stay as they are.  test/other/upgrade.sh checks that every released
-- version updated to 1.0.0 has the catalog of a new 1.0.0.
-------------------------------------------------------------------------------
SET LOCAL search_path = pg_catalog, pg_temp;

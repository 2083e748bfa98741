
-------------------------------------------------------------------------------
-- Reference rates shipped with the extension (ECB main refinancing rate and
-- German base rate, from 2022 on).  Users add later rates as rows of their own.
-------------------------------------------------------------------------------

INSERT INTO @extschema@.reference_rate (series, valid_from, rate, shipped) VALUES
    -- in force on 1 January 2022: MRO 0.00 % since 16 March 2016, German
    -- base rate -0.88 % since 1 July 2016
    ('ecb_mro', '2016-03-16', 0.00, true),
    ('de_base', '2016-07-01', -0.88, true),
    ('ecb_mro', '2022-07-27', 0.50, true),
    ('ecb_mro', '2022-09-14', 1.25, true),
    ('ecb_mro', '2022-11-02', 2.00, true),
    ('ecb_mro', '2022-12-21', 2.50, true),
    ('ecb_mro', '2023-02-08', 3.00, true),
    ('ecb_mro', '2023-03-22', 3.50, true),
    ('ecb_mro', '2023-05-10', 3.75, true),
    ('ecb_mro', '2023-06-21', 4.00, true),
    ('ecb_mro', '2023-08-02', 4.25, true),
    ('ecb_mro', '2023-09-20', 4.50, true),
    ('ecb_mro', '2024-06-12', 4.25, true),
    ('ecb_mro', '2024-09-18', 3.65, true),
    ('ecb_mro', '2024-10-23', 3.40, true),
    ('ecb_mro', '2024-12-18', 3.15, true),
    ('ecb_mro', '2025-02-05', 2.90, true),
    ('ecb_mro', '2025-03-12', 2.65, true),
    ('ecb_mro', '2025-04-23', 2.40, true),
    ('ecb_mro', '2025-06-11', 2.15, true),
    ('de_base', '2023-01-01', 1.62, true),
    ('de_base', '2023-07-01', 3.12, true),
    ('de_base', '2024-01-01', 3.62, true),
    ('de_base', '2024-07-01', 3.37, true),
    ('de_base', '2025-01-01', 2.27, true),
    ('de_base', '2025-07-01', 1.27, true);

-- An example "old HR system" for `python manage.py import_legacy`, with the default
-- mapping in imports/legacy/mapping.yaml. Runs on SQLite and on MySQL/MariaDB:
--
--   sqlite3 /tmp/old_hr.sqlite3 < imports/legacy/example_schema.sql
--   mysql -e 'CREATE DATABASE old_hr CHARACTER SET utf8mb4'
--   mysql --default-character-set=utf8mb4 old_hr < imports/legacy/example_schema.sql
--
-- Staff 1-8 import cleanly (8 has no history rows; 6 has left and is not selected).
-- Staff 9-19 are broken on purpose; the comment on each row says how.

DROP TABLE IF EXISTS grade_log;
DROP TABLE IF EXISTS staff;
DROP TABLE IF EXISTS departments;

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    title VARCHAR(100) NOT NULL
);

-- One row per person who ever worked here. `grade` is the current grade as the old
-- system spelled it; `lead_mail` is the team lead's e-mail.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    mail VARCHAR(254),
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    department_id INTEGER NOT NULL,
    grade VARCHAR(40) NOT NULL,
    hired_on DATE NOT NULL,
    trial_until DATE,
    experience_since DATE,
    lead_mail VARCHAR(254),
    fired_on DATE
);

-- Every grade change: event is 'hire', 'promo' or 'fix' (a correction).
CREATE TABLE grade_log (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL,
    grade VARCHAR(40) NOT NULL,
    changed_on DATE NOT NULL,
    event VARCHAR(20) NOT NULL,
    note VARCHAR(500)
);

INSERT INTO departments (id, title) VALUES
    (1, 'PHP'),
    (2, 'Full-stack'),
    (3, 'QA');

INSERT INTO staff (id, mail, first_name, last_name, department_id, grade, hired_on, trial_until, experience_since, lead_mail, fired_on) VALUES
    (1, 'olga.smirnova@old.example', 'Ольга', 'Смирнова', 1, 'Senior+', '2016-02-01', '2016-05-01', '2010-09-01', NULL, NULL),
    (2, 'ivan.petrov@old.example', 'Иван', 'Петров', 1, 'M2', '2020-03-02', '2020-06-01', '2018-01-15', 'olga.smirnova@old.example', NULL),
    (3, 'maria.kuznetsova@old.example', 'Мария', 'Кузнецова', 2, 'Junior+', '2023-01-09', '2023-04-10', NULL, 'olga.smirnova@old.example', NULL),
    (4, 'Dmitry.Volkov@old.example', 'Dmitry', 'Volkov', 2, 'Middle', '2021-05-17', NULL, '2017-03-01', 'olga.smirnova@old.example', NULL),
    (5, 'petr.sokolov@old.example', 'Пётр', 'Соколов', 1, 'Мидл', '2019-04-01', '2019-07-01', '2014-09-01', 'olga.smirnova@old.example', NULL),
    -- left the company: the mapping does not select people with fired_on set
    (6, 'left.long.ago@old.example', 'Gone', 'Person', 1, 'Middle', '2015-01-12', NULL, NULL, NULL, '2018-06-30'),
    (7, 'sergey.orlov@old.example', 'Сергей', 'Орлов', 1, 'S3', '2015-06-01', NULL, '2008-02-01', NULL, NULL),
    -- no grade_log rows: imported as hired at her current level
    (8, 'elena.fedorova@old.example', 'Елена', 'Фёдорова', 2, 'Junior', '2024-09-02', '2024-12-02', NULL, 'Dmitry.Volkov@old.example', NULL),
    -- unknown level name
    (9, 'arch@old.example', 'Arkady', 'Architect', 1, 'Architect', '2018-01-10', NULL, NULL, NULL, NULL),
    -- unknown track (department QA)
    (10, 'tester@old.example', 'Tess', 'Tester', 3, 'Middle', '2020-02-03', NULL, NULL, NULL, NULL),
    -- dates out of order: the trial ends before the hire
    (11, 'early.trial@old.example', 'Eva', 'Early', 1, 'Junior', '2021-03-01', '2021-01-01', NULL, NULL, NULL),
    -- dates out of order: a promotion in grade_log before the hire
    (12, 'time.travel@old.example', 'Tim', 'Travel', 1, 'Junior+', '2022-03-01', NULL, NULL, NULL, NULL),
    -- the team lead is in neither system
    (13, 'orphan@old.example', 'Oscar', 'Orphan', 1, 'Junior', '2022-05-16', NULL, NULL, 'boss@gone.example', NULL),
    -- the same e-mail twice (case differs)
    (14, 'anna@old.example', 'Анна', 'Иванова', 1, 'Junior', '2023-02-01', NULL, NULL, NULL, NULL),
    (15, 'Anna@old.example', 'Анна', 'Иванова-Смирнова', 2, 'Junior', '2023-03-01', NULL, NULL, NULL, NULL),
    -- no e-mail
    (16, '', 'Nobody', 'Mailless', 1, 'Junior', '2023-04-03', NULL, NULL, NULL, NULL),
    -- reports to staff 9, who cannot be imported
    (17, 'follower@old.example', 'Fedor', 'Follower', 1, 'Junior', '2023-05-02', NULL, NULL, 'arch@old.example', NULL),
    -- grade_log promotes Junior straight to Middle
    (18, 'jumper@old.example', 'Jan', 'Jumper', 1, 'Middle', '2022-01-10', NULL, NULL, NULL, NULL),
    -- grade_log has an event the mapping does not know
    (19, 'mover@old.example', 'Mila', 'Mover', 2, 'Junior+', '2022-06-01', NULL, NULL, NULL, NULL);

INSERT INTO grade_log (id, staff_id, grade, changed_on, event, note) VALUES
    (101, 1, 'Middle', '2016-02-01', 'hire', NULL),
    (102, 1, 'Мидл+', '2016-09-01', 'promo', 'Review of February'),
    (103, 1, 'M3', '2017-06-01', 'promo', NULL),
    (104, 1, 'S1', '2018-06-01', 'promo', NULL),
    (105, 1, 'Senior+', '2020-03-02', 'promo', 'Leads the billing team'),
    (201, 2, 'Junior++', '2020-03-02', 'hire', NULL),
    (202, 2, 'Middle', '2021-01-11', 'promo', NULL),
    (203, 2, 'Мидл+', '2022-02-01', 'promo', NULL),
    (301, 3, 'Junior', '2023-01-09', 'hire', NULL),
    (302, 3, 'Junior+', '2023-08-01', 'promo', NULL),
    (401, 4, 'Middle', '2021-05-17', 'hire', NULL),
    (501, 5, 'Middle+', '2019-04-01', 'hire', NULL),
    (502, 5, 'Middle', '2019-10-01', 'fix', 'Level set too high at hire'),
    (601, 6, 'Middle', '2015-01-12', 'hire', NULL),
    (701, 7, 'Сеньор', '2015-06-01', 'hire', NULL),
    (702, 7, 'Сеньор+', '2016-09-01', 'promo', NULL),
    (703, 7, 'S3', '2018-01-15', 'promo', NULL),
    (1201, 12, 'Junior', '2022-03-01', 'hire', NULL),
    (1202, 12, 'Junior+', '2021-12-01', 'promo', NULL),
    (1801, 18, 'Junior', '2022-01-10', 'hire', NULL),
    (1802, 18, 'Middle', '2022-08-01', 'promo', NULL),
    (1901, 19, 'Junior', '2022-06-01', 'hire', NULL),
    (1902, 19, 'Junior+', '2023-01-02', 'transfer', 'Moved from the mobile team');

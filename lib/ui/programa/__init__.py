"""The work program page (pages/7_programa.py), room by room: the numbers it plans from
(plan.py), the planner's working copy of a draft, its grids and the save panel (draft.py), and
the seven tabs (tabs.py). Every function takes what it reads as parameters."""

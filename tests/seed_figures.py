"""The seed report's published figures (MODEL.md §1–3), as printed, for tests to compare against."""

# Figures as the seed prints them (MODEL.md restates them); the engine computes from the data file.
SEED_UM_BUYERS = [3.92, 5.04, 6.272]
SEED_UM_GRID = [[23520, 30240, 37632], [31360, 40320, 50176], [39200, 50400, 62720]]
SEED_CM_ADV = [16537, 22049, 27562]
SEED_CM_GRID = [[27562, 36749, 45936], [33074, 44098, 55123], [41342, 55123, 68904]]
SEED_CM_TOTAL = 27562
SEED_STATS = {  # (mean, median) per year FY2021A, FY2022E, FY2023E
    "ls_ps": ([0.58, 0.63, 0.58], [0.54, 0.63, 0.59]),
    "ls_pe": ([12.46, 9.45, 6.98], [10.69, 9.45, 6.98]),
    "ads_ps": ([3.82, 3.50, 3.00], [3.46, 3.30, 2.86]),
    "ads_pe": ([18.74, 62.28, 80.37], [13.11, 23.63, 17.41]),
    "ec_ps": ([1.89, 1.72, 1.44], [1.50, 1.28, 1.13]),
    "ec_pe": ([23.88, 40.32, 18.84], [9.65, 24.96, 16.86]),
    "ec_pgmv": ([0.19, 0.19, 0.17], [0.19, 0.18, 0.17]),
}
SEED_KS_PS = [3.60, 3.08, 2.52]
SEED_KS_PGMV = [0.43, 0.33, 0.26]

# The seed rounds each category line, so its total (27,562) is one higher than the lines' sum;
# every category-method figure carries that 1/27,561 plus half a unit of its own rounding.
CM_TOLERANCE = 1 / 27561 + 0.5 / 16537

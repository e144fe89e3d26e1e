// Package tune sweeps pacing settings over simulator runs and compares pacing
// modes, each tuned fairly to the same abandon cap.
//
// # Seeds and common random numbers
//
// Every point of a sweep runs on the same seeds (s, s+1, …, s+n−1, where s is
// the scenario's seed), and every mode of a comparison is tuned on those same
// seeds. The simulator draws each dial's outcome and timings from streams of
// their own, so two settings run on one seed meet the same customers: their
// difference is the pacing, not the luck of the draw. A comparison then
// re-runs each mode's chosen setting on fresh evaluation seeds s+100, s+101, …,
// so the figures it reports are not the ones the setting was selected on.
//
// # Fair tuning
//
// A setting is fair when the abandon rate stays at or under the cap in at
// least 19 of every 20 seeds. The figure judged per seed is
// max_abandon_rate_24h, the worst rolling 24 h window (the whole run when it is
// shorter), the window a regulator measures. On the tuning seeds two things
// must hold: at most ⌊n/20⌋ of the n seeds breach (none for fewer than 20
// seeds), and a fresh seed is predicted to stay under the cap too: the
// one-sided 95 % upper prediction bound of its worst window (FreshBound:
// mean + t·sd·√(1 + 1/n) over the tuning seeds, Student's t at n − 1 degrees
// of freedom) is at or under the cap. Without the second, a sweep over many
// settings on a few seeds picks the one those seeds happened to favour, and
// its evaluation on fresh seeds breaches; with it, a setting whose seeds
// spread widely must keep a margin in proportion. The best setting of a
// sweep is the fair one with the highest mean occupancy. The same rule
// applies to every mode alike, our predictive pacer included.
//
// # Grids
//
// Each mode sweeps its main knob (DefaultGrid, from the grid of the mode's
// pacing.ModeSpec), from the least to the most aggressive setting:
//
//   - progressive: the single point "1:1".
//   - ratio: the taskscale C/A from 1.0 to 4.0 in steps of 0.1, then to 20
//     in steps of 0.25, written as a reduced "A:C" ("10:11", "4:17", "4:75").
//   - predictive: abandon_target from cap/6 to 5·cap/3 in steps of cap/12
//     (0.005 to 0.05 by 0.0025 at a 3 % cap).
//   - vicidial: max_level from 1.0 to 6.0 in steps of 0.5, on three lines:
//     drop limit at the cap, at 0.8 × cap and at 0.6 × cap (a VICIdial user
//     who must stay under the cap on 19 days in 20 enters a limit with a
//     margin); the scenario's drop limit alone when it sets one. Method and
//     intensity come from the scenario (default ADAPT_HARD_LIMIT, 0):
//     max_level bounds how hard VICIdial dials, intensity only how fast its
//     level moves.
//   - closedform: aggressiveness from 0.1 to 3.0 in steps of 0.05.
//   - issabel: the about-to-free threshold 0.9999, 0.999, 0.995, 0.99, 0.98,
//     0.97, 0.96, 0.95, 0.94, 0.92, 0.90 (near 1 an agent is almost never
//     about to be free, which makes it progressive), on two lines: without
//     overcommit, then with it.
//
// ValuesGrid sweeps values given by the user instead, on the same lines, to
// look closer between two steps of a grid; it runs every value asked for.
//
// Along each line of a grid the abandon rate rises with the setting, so a
// sweep runs a line in fixed chunks and leaves it after two consecutive
// points whose mean abandon rate is over the cap: past them no setting can
// be fair. The chunks do not depend on the number of CPUs, so
// the points run, and the result, are the same on every machine.
//
// A grid's step can fall badly for a mode: its best fair setting may sit
// well below the cap because the next step breaches it. So the sweep then
// refines each line (Grid.Refine, RefineSteps on DefaultGrid): it runs the
// setting halfway between the line's best fair point and the next one (over
// the cap, or lower: a VICIdial line's occupancy can peak between two steps
// and fall past them, as its drop rule slams the level to 1), keeps the half
// that holds the best, and halves again, so that the step near the best
// ends a quarter of the grid's (0.0625 calls per idle agent on the ratio
// grid above 4, a 0.0625 % abandon target at a 3 % cap, 0.125 of VICIdial's
// max_level). Every mode's grid is refined alike. A
// refined setting, chosen among more settings near the cap, must be fair on
// the tuning seeds and on as many seeds again (s+n…s+2n−1), so that the
// sweep does not pick a setting a few seeds happened to favour; its means
// are still the tuning seeds', comparable with every other point's.
//
// # Reports
//
// A sweep's best report and a comparison's reports are mean reports: every
// figure is averaged over the seeds (counts rounded to whole numbers, rates
// averaged as rates, so abandon_rate is the mean of the seeds' abandon rates),
// slice by slice for the time series; seed is the first seed; wall_s is 0, so
// that the same sweep gives the same JSON byte for byte. Fields this package
// does not know keep the first seed's value.
//
// # Parallelism
//
// Runs execute on a bounded pool of workers (GOMAXPROCS by default) shared by
// everything started from one Tuner. Results are stored by index, never in
// completion order, so scheduling cannot change them.
package tune

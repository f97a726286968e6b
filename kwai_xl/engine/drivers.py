"""The seed's revenue driver tree (收入预测核心驱动框架, MODEL.md §5).

Money in RMB 百万, users in 百万, prices in 元. Every function broadcasts.
"""

import numpy as np

MONTHS_PER_YEAR = 12
DAYS_PER_YEAR = 365
PER_MILLE = 1000


def live_streaming_revenue(paying_users, arppu_month, months=MONTHS_PER_YEAR):
    """Live streaming (RMB 百万) = monthly paying users (百万) × ARPPU (元/month) × 12."""
    return np.multiply(np.multiply(paying_users, arppu_month), months)


def feed_ads_revenue(dau, minutes_per_day, ad_load, ecpm, days=DAYS_PER_YEAR, per_mille=PER_MILLE):
    """Outer-loop feed ads (RMB 百万) = DAU (百万) × minutes/day × 365 × ads per minute × eCPM (元 per 1,000)."""
    impressions = np.multiply(np.multiply(np.multiply(dau, minutes_per_day), days), ad_load)
    return np.divide(np.multiply(impressions, ecpm), per_mille)


def inner_loop_ads_revenue(gmv, take_rate):
    """Inner-loop (merchant) ads (RMB 百万) = GMV (RMB 百万) × ad take rate (fraction)."""
    return np.multiply(gmv, take_rate)


def brand_ads_revenue(advertisers, spend_per_advertiser):
    """Brand ads (RMB 百万) = brand advertisers (count) × spend per advertiser (RMB 百万)."""
    return np.multiply(advertisers, spend_per_advertiser)


def ecommerce_revenue(gmv, monetisation_rate):
    """E-commerce revenue (RMB 百万) = GMV (RMB 百万) × monetisation rate 货币化率 (fraction)."""
    return np.multiply(gmv, monetisation_rate)


def gmv_from_buyers(monthly_buyers, orders_per_month, order_value, months=MONTHS_PER_YEAR):
    """GMV (RMB 百万) = monthly active buyers (百万) × orders per buyer per month × 12 × order value (元)."""
    return np.multiply(np.multiply(np.multiply(monthly_buyers, orders_per_month), months), order_value)


def total_revenue(live_streaming, online_marketing, other):
    """Revenue (RMB 百万) = live streaming + online marketing + other (incl. e-commerce)."""
    return np.add(np.add(live_streaming, online_marketing), other)


def market_share(gmv, market_yi, mn_per_yi):
    """Share of a market (亿元) that a GMV (RMB 百万) would be: GMV / (market × 100)."""
    return np.divide(gmv, np.multiply(market_yi, mn_per_yi))

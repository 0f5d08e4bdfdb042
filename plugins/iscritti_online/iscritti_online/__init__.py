"""Optional module «Area riservata iscritti»: registrants keep their own registry data current."""

"""Reference data: regions (cities/prefectures and the province) and the occupation catalogue."""

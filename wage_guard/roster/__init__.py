"""The real-name roster with monthly attendance (实名制考勤)."""
